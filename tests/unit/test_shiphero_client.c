/*
 * test_shiphero_client.c - the ShipHero connector against the in-process
 * mock server through the real HTTP client: tokens (login, refresh before
 * expiry and once on a refusal), the GraphQL request body (constant
 * query, values in variables), the envelope's errors and throttle, the
 * credits each reply reports reaching the limiter, Relay paging, order
 * creation and adoption, and the webhook signature and decoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "platforms/connector.h"
#include "platforms/shiphero/shiphero_int.h"
#include "internal.h"
#include "pearlsync/config.h"
#include "pearlsync/log.h"
#include "pearlsync/platform.h"
#include "pearlsync/settings.h"
#include "pearlsync/shiphero.h"
#include "pearlsync/store.h"

#include "mock_server.h"
#include "test_db.h"

#define ACCESS "acc-SECRET-0001"
#define REFRESH "ref-SECRET-0002"
#define PASSWORD "pw-SECRET-0003"
#define NOW 1800000000

#define JSON_HDR "Content-Type: application/json\n"

#define QUOTA(left, max, rate)                                                 \
	"\"extensions\":{\"throttling\":{\"estimated_complexity\":5,"          \
	"\"cost\":3,\"user_quota\":{\"credits_remaining\":" #left              \
	",\"max_available\":" #max ",\"increment_rate\":" #rate "}}}"

#define ACCOUNT_REPLY                                                          \
	"{\"data\":{\"account\":{\"request_id\":\"r1\",\"complexity\":2,"      \
	"\"data\":{\"id\":\"QWNjb3VudDo3NTU2\",\"legacy_id\":7556,"            \
	"\"username\":\"acme-ops\",\"warehouses\":[{\"id\":"                   \
	"\"V2FyZWhvdXNlOjcxNDU=\",\"legacy_id\":7145,\"identifier\":"          \
	"\"Primary\",\"address\":{\"city\":\"Reno\",\"country\":\"US\"}}]}}}"  \
	"," QUOTA(1999, 2002, 30) "}"

typedef struct fixture {
	mock_server *m;
	mock_clock clk;
	mock_clock wall;
	mock_random rnd;
	ps_http_options o;
	ps_http *h;
	ps_sh *sh;
	int64_t now; /* unix s, the connector's clock */
	int saves;
	char saved_access[64];
	int64_t saved_expires;
} fixture;

static const uint64_t fixed_random[] = {12345};

static int64_t
fx_now(void *ctx)
{
	return ((fixture *)ctx)->now;
}

static int
fx_save(void *ctx, const ps_sh_tokens *t)
{
	fixture *f = ctx;

	f->saves++;
	snprintf(f->saved_access, sizeof(f->saved_access), "%s",
		 t->access_token);
	f->saved_expires = t->expires_at;
	assert_string_equal(t->refresh_token, REFRESH);
	return 0;
}

static void
options(fixture *f, ps_sh_options *so, const char *access, int64_t expires)
{
	static const ps_sh_options init = PS_SH_OPTIONS_INIT;

	*so = init;
	so->base_url = mock_server_url(f->m);
	so->account = "acme-ops";
	so->access_token = access;
	so->refresh_token = REFRESH;
	so->expires_at = expires;
	so->save = fx_save;
	so->save_ctx = f;
	so->now = fx_now;
	so->now_ctx = f;
}

static void
connect_with(fixture *f, const char *access, int64_t expires)
{
	ps_sh_options so;

	ps_sh_free(f->sh);
	f->sh = NULL;
	options(f, &so, access, expires);
	assert_int_equal(ps_sh_new(&f->sh, f->h, &so), 0);
}

static int
setup_attempts(void **state, int attempts)
{
	static const ps_http_options defaults = PS_HTTP_OPTIONS_INIT;
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(mock_server_start(&f->m, NULL), 0);
	mock_clock_init(&f->clk, f->m, 1000000);
	mock_clock_init(&f->wall, NULL, INT64_C(1796299200000));
	mock_random_init(&f->rnd, fixed_random, 1);
	f->o = defaults;
	f->o.connect_timeout_ms = 2000;
	f->o.total_timeout_ms = 5000;
	f->o.max_attempts = attempts;
	f->o.backoff_base_ms = 100;
	f->o.backoff_cap_ms = 1000;
	f->o.max_wait_ms = 60000;
	f->o.limiter_reserve = 2;
	f->o.clock = &f->clk.clock;
	f->o.random = &f->rnd.random;
	f->o.wall = &f->wall.clock;
	f->o.breaker_threshold = 0;
	assert_int_equal(ps_http_new(&f->h, &f->o), 0);
	f->now = NOW;
	connect_with(f, ACCESS, NOW + 86400);
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_attempts(state, 1);
}

static int
setup_retrying(void **state)
{
	return setup_attempts(state, 3);
}

static int
teardown(void **state)
{
	fixture *f = *state;

	ps_sh_free(f->sh);
	ps_http_free(f->h);
	mock_server_stop(f->m);
	free(f);
	return 0;
}

static const mock_request *
req(fixture *f, size_t i)
{
	const mock_request *q = mock_server_request(f->m, i);

	assert_non_null(q);
	return q;
}

/* The recorded request's body, parsed (new reference). */
static json_t *
body_json(fixture *f, size_t i)
{
	const mock_request *q = req(f, i);
	json_t *j = json_loadb(q->body, q->body_len, 0, NULL);

	assert_non_null(j);
	return j;
}

static void
assert_no_secret(const char *text)
{
	assert_null(strstr(text, ACCESS));
	assert_null(strstr(text, REFRESH));
	assert_null(strstr(text, PASSWORD));
	assert_null(strstr(text, "whsec-SECRET"));
}

/* ---- tokens ------------------------------------------------------------- */

static void
test_sh__login_sends_the_password_once_and_returns_tokens(void **state)
{
	fixture *f = *state;
	ps_sh_options so;
	ps_sh_grant g;
	const mock_request *q;

	options(f, &so, NULL, 0);
	mock_server_reply(f->m, 200, JSON_HDR,
			  "{\"access_token\":\"" ACCESS "\",\"refresh_token\":"
			  "\"" REFRESH "\",\"expires_in\":2419200,"
			  "\"token_type\":\"Bearer\"}");
	assert_int_equal(
		ps_sh_login(&g, f->h, &so, "dev@example.com", PASSWORD), 0);
	q = req(f, 0);
	assert_string_equal(q->method, "POST");
	assert_string_equal(q->path, "/auth/token");
	assert_string_equal(q->body, "{\"username\":\"dev@example.com\","
				     "\"password\":\"" PASSWORD "\"}");
	assert_string_equal(mock_request_header(q, "Content-Type"),
			    "application/json");
	assert_null(mock_request_header(q, "Authorization"));
	assert_string_equal(g.access_token, ACCESS);
	assert_string_equal(g.refresh_token, REFRESH);
	assert_int_equal(g.expires_at, NOW + 2419200);
	ps_sh_grant_dispose(&g);
	assert_null(g.access_token);
}

static void
test_sh__login_refused_is_eauth_without_the_password(void **state)
{
	fixture *f = *state;
	ps_sh_options so;
	ps_sh_grant g;

	options(f, &so, NULL, 0);
	mock_server_reply(f->m, 401, JSON_HDR,
			  "{\"error\":\"invalid_grant\",\"error_description\":"
			  "\"Wrong email or password.\"}");
	assert_int_equal(
		ps_sh_login(&g, f->h, &so, "dev@example.com", PASSWORD),
		PS_EAUTH);
	assert_null(g.access_token);
	assert_non_null(strstr(ps_error_last(), "ShipHero"));
	assert_no_secret(ps_error_last());
}

static void
test_sh__refresh_before_expiry(void **state)
{
	fixture *f = *state;
	const mock_request *q;
	char *name = NULL;

	/* 100 s left: inside the margin, refreshed before the call */
	connect_with(f, ACCESS, NOW + 100);
	mock_server_reply(f->m, 200, JSON_HDR,
			  "{\"access_token\":\"acc-NEW-SECRET\","
			  "\"token_type\":\"Bearer\",\"expires_in\":2419200}");
	mock_server_reply(f->m, 200, JSON_HDR, ACCOUNT_REPLY);
	assert_int_equal(ps_sh_check_connection(&name, f->sh), 0);
	assert_string_equal(name, "acme-ops");
	free(name);
	assert_int_equal(mock_server_request_count(f->m), 2);
	q = req(f, 0);
	assert_string_equal(q->path, "/auth/refresh");
	assert_string_equal(q->body, "{\"refresh_token\":\"" REFRESH "\"}");
	q = req(f, 1);
	assert_string_equal(q->path, "/graphql");
	assert_string_equal(mock_request_header(q, "Authorization"),
			    "Bearer acc-NEW-SECRET");
	assert_int_equal(f->saves, 1);
	assert_string_equal(f->saved_access, "acc-NEW-SECRET");
	assert_int_equal(f->saved_expires, NOW + 2419200);
}

static void
test_sh__token_valid_is_not_refreshed(void **state)
{
	fixture *f = *state;
	char *name = NULL;

	mock_server_reply(f->m, 200, JSON_HDR, ACCOUNT_REPLY);
	assert_int_equal(ps_sh_check_connection(&name, f->sh), 0);
	free(name);
	assert_int_equal(mock_server_request_count(f->m), 1);
	assert_string_equal(mock_request_header(req(f, 0), "Authorization"),
			    "Bearer " ACCESS);
	assert_int_equal(f->saves, 0);
}

static void
test_sh__refresh_once_on_401(void **state)
{
	fixture *f = *state;
	char *name = NULL;

	mock_server_reply(f->m, 401, JSON_HDR, "{\"message\":\"expired\"}");
	mock_server_reply(f->m, 200, JSON_HDR,
			  "{\"access_token\":\"acc-NEW-SECRET\","
			  "\"expires_in\":2419200}");
	mock_server_reply(f->m, 200, JSON_HDR, ACCOUNT_REPLY);
	assert_int_equal(ps_sh_check_connection(&name, f->sh), 0);
	free(name);
	assert_int_equal(mock_server_request_count(f->m), 3);
	assert_string_equal(req(f, 1)->path, "/auth/refresh");
	assert_string_equal(mock_request_header(req(f, 2), "Authorization"),
			    "Bearer acc-NEW-SECRET");
}

static void
test_sh__refused_after_refresh_is_final(void **state)
{
	fixture *f = *state;
	char *name = NULL;

	mock_server_reply(f->m, 401, JSON_HDR, "{}");
	mock_server_reply(f->m, 200, JSON_HDR,
			  "{\"access_token\":\"acc-NEW-SECRET\","
			  "\"expires_in\":2419200}");
	mock_server_reply(f->m, 401, JSON_HDR, "{}");
	assert_int_equal(ps_sh_check_connection(&name, f->sh), PS_EAUTH);
	assert_null(name);
	/* one refresh, one retry: no loop */
	assert_int_equal(mock_server_request_count(f->m), 3);
	assert_no_secret(ps_error_last());
	assert_null(strstr(ps_error_last(), "acc-NEW-SECRET"));
}

static void
test_sh__refresh_token_refused(void **state)
{
	fixture *f = *state;
	char *name = NULL;

	connect_with(f, NULL, 0);
	mock_server_reply(f->m, 403, JSON_HDR,
			  "{\"error\":\"invalid_grant\",\"error_description\":"
			  "\"Unknown or invalid refresh token.\"}");
	assert_int_equal(ps_sh_check_connection(&name, f->sh), PS_EAUTH);
	assert_int_equal(mock_server_request_count(f->m), 1);
	assert_non_null(strstr(ps_error_last(), "refresh token"));
	assert_no_secret(ps_error_last());
}

/*
 * The plug-in's connect: a password in the settings is traded for tokens,
 * which are stored, and is erased in the same change-set; the next
 * connect uses the stored tokens and sends no password.
 */
static void
test_sh__connect_trades_the_password_and_erases_it(void **state)
{
	const ps_platform_ops *ops = ps_platform_ops_of(PS_PLATFORM_SHIPHERO);
	fixture *f = *state;
	ps_config cfg;
	void *conn = NULL;
	char *v;
	test_db db;

	ps_config_init(&cfg);
	assert_int_equal(test_db_open(&db, "shconn"), 0);
	/* nothing set: not configured, nothing sent */
	assert_int_equal(ops->connect(&conn, db.st, &cfg, f->h), PS_ESETTING);
	assert_null(conn);
	assert_int_equal(ps_store_setting_set(NULL, db.st, "shiphero.base_url",
					      mock_server_url(f->m), "test", 1),
			 0);
	assert_int_equal(ps_store_setting_set(NULL, db.st, "shiphero.username",
					      "dev@example.com", "test", 1),
			 0);
	assert_int_equal(ps_store_setting_set(NULL, db.st, "shiphero.password",
					      PASSWORD, "test", 1),
			 0);
	mock_server_reply(f->m, 200, JSON_HDR,
			  "{\"access_token\":\"" ACCESS "\",\"refresh_token\":"
			  "\"" REFRESH "\",\"expires_in\":2419200}");
	assert_int_equal(ops->connect(&conn, db.st, &cfg, f->h), 0);
	assert_non_null(conn);
	ops->free(conn);
	conn = NULL;
	assert_int_equal(mock_server_request_count(f->m), 1);
	assert_string_equal(req(f, 0)->path, "/auth/token");
	assert_null(ps_settings_value(db.st, "shiphero.password"));
	v = ps_settings_value(db.st, "shiphero.refresh_token");
	assert_non_null(v);
	assert_string_equal(v, REFRESH);
	free(v);
	v = ps_settings_value(db.st, "shiphero.access_token");
	assert_non_null(v);
	assert_string_equal(v, ACCESS);
	free(v);
	/* again: the stored tokens, no login */
	assert_int_equal(ops->connect(&conn, db.st, &cfg, f->h), 0);
	ops->free(conn);
	assert_int_equal(mock_server_request_count(f->m), 1);
	/* a refused password stays a connect failure, and says no secret */
	assert_int_equal(ps_store_setting_set(NULL, db.st, "shiphero.password",
					      PASSWORD, "test", 2),
			 0);
	mock_server_reply(f->m, 401, JSON_HDR, "{\"error\":\"invalid_grant\"}");
	conn = NULL;
	assert_int_equal(ops->connect(&conn, db.st, &cfg, f->h), PS_EAUTH);
	assert_null(conn);
	assert_no_secret(ps_error_last());
	test_db_close(&db);
}

/* ---- requests and replies ----------------------------------------------- */

static void
test_sh__request_body_is_the_constant_query_with_variables(void **state)
{
	fixture *f = *state;
	ps_sh_order o;
	char want[4096];

	mock_server_reply(
		f->m, 200, JSON_HDR,
		"{\"data\":{\"orders\":{\"request_id\":\"r\",\"complexity\":26,"
		"\"data\":{\"pageInfo\":{\"hasNextPage\":false,\"endCursor\":"
		"null},\"edges\":[{\"cursor\":\"c0\",\"node\":{\"id\":"
		"\"T3JkZXI6NTU1MzAxNTAw\",\"legacy_id\":555301500,"
		"\"order_number\":\"GO-1\",\"partner_order_id\":\"GON "
		"\\\"1\\\"\","
		"\"fulfillment_status\":\"pending\",\"unknown\":[1,2]}}]}}}"
		"," QUOTA(1990, 2002, 30) "}");
	assert_int_equal(ps_sh_order_find(&o, f->sh, "GON \"1\""), 0);
	snprintf(want, sizeof(want),
		 "{\"query\":\"%s\",\"variables\":{\"partner_order_id\":"
		 "\"GON \\\"1\\\"\",\"first\":25,\"after\":null}}",
		 ps_sh__op_orders_by_partner.query);
	assert_string_equal(req(f, 0)->body, want);
	/* the value is a variable, never spliced into the document */
	assert_null(strstr(ps_sh__op_orders_by_partner.query, "GON"));
	assert_string_equal(req(f, 0)->path, "/graphql");
	assert_string_equal(o.id, "T3JkZXI6NTU1MzAxNTAw");
	assert_int_equal(o.legacy_id, 555301500);
	assert_string_equal(o.partner_order_id, "GON \"1\"");
	assert_string_equal(o.fulfillment_status, "pending");
	assert_int_equal(o.adopted, 0);
	ps_sh_order_dispose(&o);
}

static void
test_sh__order_find_none_is_enotfound(void **state)
{
	fixture *f = *state;
	ps_sh_order o;

	mock_server_reply(f->m, 200, JSON_HDR,
			  "{\"data\":{\"orders\":{\"data\":{\"pageInfo\":{"
			  "\"hasNextPage\":false},\"edges\":[]}}}}");
	assert_int_equal(ps_sh_order_find(&o, f->sh, "GON-404"), PS_ENOTFOUND);
	assert_null(o.id);
}

static void
test_sh__errors_map_to_codes_with_the_message(void **state)
{
	fixture *f = *state;
	ps_sh_shipment s;
	ps_sh_order o;

	/* the documented error shape: HTTP 200, inner data null */
	mock_server_reply(
		f->m, 200, JSON_HDR,
		"{\"errors\":[{\"message\":\"Invalid id FAKE\",\"operation\":"
		"\"shipment\",\"field\":\"data\",\"request_id\":\"x\","
		"\"code\":3}],\"data\":{\"shipment\":{\"request_id\":\"x\","
		"\"complexity\":11,\"data\":null}}," QUOTA(4001, 4004, 60) "}");
	assert_int_equal(ps_sh_shipment_get(&s, f->sh, "FAKE"), PS_ENOTFOUND);
	assert_non_null(strstr(ps_error_last(), "Invalid id FAKE (code 3)"));
	assert_non_null(strstr(ps_error_last(), "ShipHero shipment"));
	/* the credits of an error reply still count */
	assert_int_equal(ps_sh_quota_last(f->sh).credits_remaining, 4001);
	/* a validation error without data: PS_EDATA with its message */
	mock_server_reply(f->m, 200, JSON_HDR,
			  "{\"errors\":[{\"message\":\"Cannot query field "
			  "\\\"x\\\" on type \\\"Order\\\".\",\"locations\":"
			  "[{\"line\":1,\"column\":9}]}]}");
	assert_int_equal(ps_sh_order_cancel(&o, f->sh, "T3Jk", "gone"),
			 PS_EDATA);
	assert_non_null(strstr(ps_error_last(), "Cannot query field"));
	/* not JSON */
	mock_server_reply(f->m, 200, JSON_HDR, "<html>");
	assert_int_equal(ps_sh_order_cancel(&o, f->sh, "T3Jk", NULL),
			 PS_EPARSE);
}

static void
test_sh__throttle_error_says_when_to_retry(void **state)
{
	fixture *f = *state;
	ps_sh_order o;

	mock_server_reply(
		f->m, 200, JSON_HDR,
		"{\"errors\":[{\"code\":30,\"message\":\"There are not enough "
		"credits to perform the requested operation, which requires "
		"101 credits. There are 12 credits remaining. Try again in 6 "
		"seconds\",\"operation\":\"orders\",\"required_credits\":101,"
		"\"remaining_credits\":12,\"time_remaining\":\"6 seconds\"}],"
		"\"data\":{\"orders\":null}}");
	assert_int_equal(ps_sh_order_find(&o, f->sh, "GON-1"), PS_ERATELIMIT);
	assert_non_null(strstr(ps_error_last(), "throttled, retry after 7 s"));
	assert_int_equal(mock_server_request_count(f->m), 1);
}

static void
test_sh__throttle_is_retried_after_its_hint(void **state)
{
	fixture *f = *state;
	ps_sh_order o;

	mock_server_reply(f->m, 200, JSON_HDR,
			  "{\"errors\":[{\"code\":30,\"message\":\"not enough "
			  "credits\",\"time_remaining\":\"6 seconds\"}],"
			  "\"data\":{\"orders\":null}}");
	mock_server_reply(f->m, 200, JSON_HDR,
			  "{\"data\":{\"orders\":{\"data\":{\"pageInfo\":{"
			  "\"hasNextPage\":false},\"edges\":[{\"node\":{\"id\":"
			  "\"T3Jk\",\"partner_order_id\":\"GON-1\"}}]}}}}");
	assert_int_equal(ps_sh_order_find(&o, f->sh, "GON-1"), 0);
	assert_int_equal(mock_server_request_count(f->m), 2);
	/* time_remaining plus a second */
	assert_int_equal(f->clk.waits[1], 7000);
	ps_sh_order_dispose(&o);
}

static void
test_sh__credits_feed_the_limiter(void **state)
{
	fixture *f = *state;
	ps_http_budget b;
	ps_sh_quota q;
	char *name = NULL;

	mock_server_reply(
		f->m, 200, JSON_HDR,
		"{\"data\":{\"account\":{\"data\":{\"id\":\"A\"}}}," QUOTA(
			100, 2002, 30) "}");
	mock_server_reply(f->m, 200, JSON_HDR,
			  "{\"data\":{\"shipments\":{\"data\":{\"pageInfo\":{"
			  "\"hasNextPage\":false},\"edges\":[]}}}}");
	assert_int_equal(ps_sh_check_connection(&name, f->sh), 0);
	free(name);
	assert_int_not_equal(ps_http_limit_budget(&b, f->h,
						  PS_PLATFORM_SHIPHERO,
						  "acme-ops"),
			     0);
	assert_int_equal(b.remaining, 100);
	assert_int_equal(b.quota, 2002);
	assert_string_equal(b.unit, "credits");
	q = ps_sh_quota_last(f->sh);
	assert_int_equal(q.credits_remaining, 100);
	assert_int_equal(q.max_available, 2002);
	assert_int_equal(q.increment_rate, 30);
	assert_int_equal(q.last_cost, 3);
	/*
	 * A shipments page reserves its complexity (511): 100 left, 511 + 2
	 * needed, 413 credits at 30 a second, about 13.8 s.
	 */
	assert_int_equal(ps_sh__op_shipments.cost, 511);
	assert_int_equal(ps_sh_shipments_since(f->sh, NOW - 3600,
					       (ps_sh_shipment_fn)abort, NULL),
			 0);
	assert_true(f->clk.waits[1] >= 13700 && f->clk.waits[1] <= 13800);
}

#define SHIPMENT_NODE(id, legacy, cursor)                                      \
	"{\"cursor\":\"" cursor "\",\"node\":{\"id\":\"" id "\","              \
	"\"legacy_id\":" #legacy ",\"order_id\":\"T3Jk\",\"warehouse_id\":"    \
	"\"V2Fy\",\"created_date\":\"2026-12-01T10:56:15\","                   \
	"\"shipped_off_shiphero\":null,\"dropshipment\":false,"                \
	"\"total_packages\":2,\"order\":{\"id\":\"T3Jk\",\"order_number\":"    \
	"\"GO-1\",\"partner_order_id\":\"GON-1\"},\"line_items\":{"            \
	"\"pageInfo\":{\"hasNextPage\":false},\"edges\":[{\"node\":{\"id\":"   \
	"\"U0xJ\",\"line_item_id\":\"TEk=\",\"shipping_label_id\":\"U0w=\","   \
	"\"quantity\":2,\"line_item\":{\"sku\":\"TEST-1\","                    \
	"\"partner_line_item_id\":\"GON-1-1\"}}}]},\"shipping_labels\":[{"     \
	"\"id\":\"U0w=\",\"tracking_number\":\"1Z999\",\"tracking_url\":"      \
	"\"https://t.example/1Z999\",\"carrier\":\"ups\",\"shipping_name\":"   \
	"\"UPS Ground\",\"shipping_method\":\"ground\",\"cost\":\"7.50\","     \
	"\"status\":\"valid\",\"package_number\":1,\"created_date\":"          \
	"\"2026-12-01T10:56:15\"},{\"id\":\"U0x6\",\"tracking_number\":\"\","  \
	"\"carrier\":\"genericlabel\",\"cost\":null}]}}"

#define SHIPMENTS_PAGE(more, end, nodes)                                       \
	"{\"data\":{\"shipments\":{\"request_id\":\"r\",\"complexity\":511,"   \
	"\"data\":{\"pageInfo\":{\"hasNextPage\":" more ",\"endCursor\":" end  \
	"},\"edges\":[" nodes "]}}}}"

struct seen {
	int n;
	int64_t legacy[8];
	int checked;
};

static int
on_shipment(void *ctx, const ps_sh_shipment *s)
{
	struct seen *v = ctx;

	v->legacy[v->n++] = s->legacy_id;
	if (!v->checked) {
		v->checked = 1;
		assert_string_equal(s->partner_order_id, "GON-1");
		assert_string_equal(s->order_id, "T3Jk");
		assert_int_equal(s->created_at, 1796122575);
		assert_int_equal(s->total_packages, 2);
		assert_int_equal(s->shipped_off_shiphero, 0);
		assert_int_equal(s->nlines, 1);
		assert_string_equal(s->lines[0].partner_line_item_id,
				    "GON-1-1");
		assert_string_equal(s->lines[0].sku, "TEST-1");
		assert_int_equal(s->lines[0].quantity, 2);
		assert_string_equal(s->lines[0].shipping_label_id, "U0w=");
		assert_int_equal(s->nlabels, 2);
		assert_string_equal(s->labels[0].tracking_number, "1Z999");
		assert_string_equal(s->labels[0].carrier, "ups");
		assert_string_equal(s->labels[0].shipping_method, "ground");
		assert_int_equal(s->labels[0].cost, 75000);
		assert_int_equal(s->labels[0].package_number, 1);
		/* empty and null read as not said */
		assert_null(s->labels[1].tracking_number);
		assert_int_equal(s->labels[1].cost, 0);
	}
	return 0;
}

static void
test_sh__shipments_page_to_the_end(void **state)
{
	fixture *f = *state;
	struct seen v = {0};
	json_t *b;

	mock_server_reply(
		f->m, 200, JSON_HDR,
		SHIPMENTS_PAGE("true", "\"c1\"",
			       SHIPMENT_NODE("U2gx", 1, "c0") "," SHIPMENT_NODE(
				       "U2gy", 2, "c1")));
	mock_server_reply(f->m, 200, JSON_HDR,
			  SHIPMENTS_PAGE("true", "\"c2\"",
					 SHIPMENT_NODE("U2gz", 3, "c2")));
	mock_server_reply(f->m, 200, JSON_HDR,
			  SHIPMENTS_PAGE("false", "\"c3\"",
					 SHIPMENT_NODE("U2g0", 4, "c3")));
	assert_int_equal(
		ps_sh_shipments_since(f->sh, 1796083200, on_shipment, &v), 0);
	assert_int_equal(v.n, 4);
	assert_int_equal(v.legacy[0], 1);
	assert_int_equal(v.legacy[3], 4);
	assert_int_equal(mock_server_request_count(f->m), 3);
	b = body_json(f, 0);
	assert_string_equal(
		json_string_value(ps_conn__json_at(b, "variables.date_from")),
		"2026-12-01T00:00:00");
	assert_true(json_is_null(
		json_object_get(json_object_get(b, "variables"), "after")));
	assert_int_equal(
		json_integer_value(ps_conn__json_at(b, "variables.first")),
		PS_SH__SHIPMENT_PAGE);
	json_decref(b);
	b = body_json(f, 1);
	assert_string_equal(
		json_string_value(ps_conn__json_at(b, "variables.after")),
		"c1");
	json_decref(b);
	b = body_json(f, 2);
	assert_string_equal(
		json_string_value(ps_conn__json_at(b, "variables.after")),
		"c2");
	json_decref(b);
}

/* What a walk handed on: the good shipments' legacy ids, and the bad
 * one with what could be read of it and the reason. */
struct walked {
	int n, nbad;
	int64_t legacy[8], bad_legacy;
	char bad_id[16], bad_partner[16], reason[256];
};

static int
walked_good(void *ctx, const ps_sh_shipment *s)
{
	struct walked *w = ctx;

	w->legacy[w->n++] = s->legacy_id;
	return 0;
}

static int
walked_bad(void *ctx, const char *id, int64_t legacy, const char *partner,
	   const char *reason)
{
	struct walked *w = ctx;

	w->nbad++;
	snprintf(w->bad_id, sizeof(w->bad_id), "%s", id ? id : "");
	snprintf(w->bad_partner, sizeof(w->bad_partner), "%s",
		 partner ? partner : "");
	snprintf(w->reason, sizeof(w->reason), "%s", reason);
	w->bad_legacy = legacy;
	return 0;
}

#define BAD_SHIPMENT_NODE                                                      \
	"{\"cursor\":\"c0\",\"node\":{\"id\":\"U2gb\",\"legacy_id\":9,"        \
	"\"order\":{\"partner_order_id\":\"GON-9\"},\"line_items\":{"          \
	"\"pageInfo\":{\"hasNextPage\":false},\"edges\":[{\"node\":{\"id\":"   \
	"\"x\",\"quantity\":-1,\"line_item\":{\"partner_line_item_id\":"       \
	"\"GON-9-1\"}}}]}}}"

/* One shipment that does not parse: without a bad callback it fails the
 * read naming it; with one it is reported and the shipment after it is
 * still handed on (the poll's case). */
static void
test_sh__bad_shipment_does_not_stop_the_walk(void **state)
{
	fixture *f = *state;
	struct walked w;
	int i;

	for (i = 0; i < 2; i++)
		mock_server_reply(
			f->m, 200, JSON_HDR,
			SHIPMENTS_PAGE("false", "\"c1\"",
				       BAD_SHIPMENT_NODE
				       "," SHIPMENT_NODE("U2gy", 2, "c1")));
	memset(&w, 0, sizeof(w));
	assert_int_equal(ps_sh_shipments_since(f->sh, 0, walked_good, &w),
			 PS_EDATA);
	assert_non_null(strstr(ps_error_last(), "U2gb"));
	assert_int_equal(w.n, 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(
		ps_sh_shipments_walk(f->sh, 0, walked_good, walked_bad, &w), 0);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.legacy[0], 2);
	assert_int_equal(w.nbad, 1);
	assert_string_equal(w.bad_id, "U2gb");
	assert_string_equal(w.bad_partner, "GON-9");
	assert_int_equal(w.bad_legacy, 9);
	assert_non_null(strstr(w.reason, "never negative"));
}

static void
test_sh__paging_with_a_stuck_cursor_stops(void **state)
{
	fixture *f = *state;
	struct seen v = {0};

	v.checked = 1;
	mock_server_reply(f->m, 200, JSON_HDR,
			  SHIPMENTS_PAGE("true", "\"c1\"",
					 SHIPMENT_NODE("U2gx", 1, "c0")));
	mock_server_reply(f->m, 200, JSON_HDR,
			  SHIPMENTS_PAGE("true", "\"c1\"",
					 SHIPMENT_NODE("U2gy", 2, "c1")));
	assert_int_equal(ps_sh_shipments_since(f->sh, 0, on_shipment, &v),
			 PS_EDATA);
	assert_int_equal(mock_server_request_count(f->m), 2);
	assert_int_equal(v.n, 2);
}

static void
test_sh__shipment_get_reads_every_line(void **state)
{
	fixture *f = *state;
	ps_sh_shipment s;
	json_t *b;

	mock_server_reply(
		f->m, 200, JSON_HDR,
		"{\"data\":{\"shipment\":{\"data\":{\"id\":\"U2gx\","
		"\"legacy_id\":1,\"line_items\":{\"pageInfo\":{"
		"\"hasNextPage\":true,\"endCursor\":\"l1\"},\"edges\":[{"
		"\"node\":{\"id\":\"a\",\"quantity\":1,\"line_item\":{"
		"\"partner_line_item_id\":\"GON-1-1\"}}}]}}}}}");
	mock_server_reply(
		f->m, 200, JSON_HDR,
		"{\"data\":{\"shipment\":{\"data\":{\"line_items\":{"
		"\"pageInfo\":{\"hasNextPage\":false,\"endCursor\":\"l2\"},"
		"\"edges\":[{\"node\":{\"id\":\"b\",\"quantity\":3,"
		"\"line_item\":{\"partner_line_item_id\":\"GON-1-2\"}}}]}}}}}");
	assert_int_equal(ps_sh_shipment_get(&s, f->sh, "U2gx"), 0);
	assert_int_equal(s.nlines, 2);
	assert_string_equal(s.lines[1].partner_line_item_id, "GON-1-2");
	assert_int_equal(s.lines[1].quantity, 3);
	/* no labels: the package count is not invented */
	assert_int_equal(s.total_packages, 0);
	ps_sh_shipment_dispose(&s);
	b = body_json(f, 1);
	assert_string_equal(json_string_value(json_object_get(b, "query")),
			    ps_sh__op_shipment_lines.query);
	assert_string_equal(
		json_string_value(ps_conn__json_at(b, "variables.id")), "U2gx");
	assert_string_equal(
		json_string_value(ps_conn__json_at(b, "variables.after")),
		"l1");
	json_decref(b);
}

/* ---- orders ------------------------------------------------------------- */

static const ps_sh_line_new lines[] = {
	{"GON-10045-1", "TEST-1", 2, 750000, "Test product",
	 "V2FyZWhvdXNlOjcxNDU="},
	{"GON-10045-2", "TEST-2", 1, 0, NULL, NULL},
};

static void
order_new(ps_sh_order_new *o)
{
	memset(o, 0, sizeof(*o));
	o->partner_order_id = "BP-GON-10045";
	o->order_number = "GO-10045";
	o->shop_name = "Brightpearl";
	o->total_price = 1590000;
	o->subtotal = 1500000;
	o->total_tax = 90000;
	o->order_date = 1796083200;
	o->shipping_address.first_name = "John";
	o->shipping_address.last_name = "Johnson";
	o->shipping_address.address1 = "2543 Duck St.";
	o->shipping_address.city = "Oklahoma City";
	o->shipping_address.country_code = "US";
	o->shipping.title = "UPS Ground";
	o->shipping.price = 0;
	o->shipping.carrier = "UPS";
	o->shipping.method = "Ground";
	o->lines = lines;
	o->nlines = 2;
}

#define ORDER_CREATED                                                          \
	"{\"data\":{\"order_create\":{\"request_id\":\"r\",\"complexity\":10," \
	"\"order\":{\"id\":\"T3JkZXI6NTU1MzAxNTAw\",\"legacy_id\":555301500,"  \
	"\"order_number\":\"GO-10045\",\"partner_order_id\":"                  \
	"\"BP-GON-10045\",\"shop_name\":\"Brightpearl\","                      \
	"\"fulfillment_status\":\"pending\"}}}," QUOTA(1980, 2002, 30) "}"

static void
test_sh__order_create_sends_the_input_and_reads_the_order(void **state)
{
	fixture *f = *state;
	ps_sh_order_new on;
	ps_sh_order o;
	json_t *b, *d, *l;

	order_new(&on);
	mock_server_reply(f->m, 200, JSON_HDR, ORDER_CREATED);
	assert_int_equal(ps_sh_order_create(&o, f->sh, &on), 0);
	assert_string_equal(o.id, "T3JkZXI6NTU1MzAxNTAw");
	assert_int_equal(o.legacy_id, 555301500);
	assert_string_equal(o.partner_order_id, "BP-GON-10045");
	assert_int_equal(o.adopted, 0);
	ps_sh_order_dispose(&o);
	b = body_json(f, 0);
	assert_string_equal(json_string_value(json_object_get(b, "query")),
			    ps_sh__op_order_create.query);
	d = ps_conn__json_at(b, "variables.data");
	assert_string_equal(
		json_string_value(json_object_get(d, "partner_order_id")),
		"BP-GON-10045");
	assert_string_equal(
		json_string_value(json_object_get(d, "total_price")), "159.00");
	assert_string_equal(json_string_value(json_object_get(d, "order_date")),
			    "2026-12-01T00:00:00");
	assert_string_equal(
		json_string_value(ps_conn__json_at(d, "shipping_lines.title")),
		"UPS Ground");
	assert_string_equal(
		json_string_value(ps_conn__json_at(d, "shipping_lines.price")),
		"0.00");
	assert_string_equal(
		json_string_value(ps_conn__json_at(d, "shipping_address.city")),
		"Oklahoma City");
	assert_null(ps_conn__json_at(d, "shipping_address.company"));
	l = json_array_get(json_object_get(d, "line_items"), 0);
	assert_string_equal(
		json_string_value(json_object_get(l, "partner_line_item_id")),
		"GON-10045-1");
	assert_int_equal(json_integer_value(json_object_get(l, "quantity")), 2);
	assert_string_equal(json_string_value(json_object_get(l, "price")),
			    "75.00");
	assert_string_equal(
		json_string_value(json_object_get(l, "warehouse_id")),
		"V2FyZWhvdXNlOjcxNDU=");
	l = json_array_get(json_object_get(d, "line_items"), 1);
	assert_null(json_object_get(l, "warehouse_id"));
	assert_null(json_object_get(l, "product_name"));
	json_decref(b);
}

static void
test_sh__order_create_duplicate_is_eexists(void **state)
{
	fixture *f = *state;
	ps_sh_order_new on;
	ps_sh_order o;

	order_new(&on);
	mock_server_reply(f->m, 200, JSON_HDR,
			  "{\"errors\":[{\"message\":\"Order with "
			  "partner_order_id BP-GON-10045 already exists\","
			  "\"code\":9}],\"data\":{\"order_create\":null}}");
	assert_int_equal(ps_sh_order_create(&o, f->sh, &on), PS_EEXISTS);
	assert_non_null(strstr(ps_error_last(), "BP-GON-10045"));
	assert_null(o.id);
	assert_int_equal(mock_server_request_count(f->m), 1);
}

static void
test_sh__order_create_lost_reply_adopts_the_order(void **state)
{
	fixture *f = *state;
	ps_sh_order_new on;
	ps_sh_order o;
	json_t *b;

	order_new(&on);
	/* the mutation reached ShipHero but the reply was lost */
	mock_server_act(f->m, MOCK_DROP);
	mock_server_reply(
		f->m, 200, JSON_HDR,
		"{\"data\":{\"orders\":{\"data\":{\"pageInfo\":{"
		"\"hasNextPage\":false},\"edges\":[{\"node\":{\"id\":\"T3Jk\","
		"\"partner_order_id\":\"BP-GON-10045\",\"fulfillment_status\":"
		"\"pending\"}}]}}}}");
	assert_int_equal(ps_sh_order_create(&o, f->sh, &on), 0);
	assert_int_equal(o.adopted, 1);
	assert_string_equal(o.id, "T3Jk");
	ps_sh_order_dispose(&o);
	/* not sent twice: the second request is the lookup */
	assert_int_equal(mock_server_request_count(f->m), 2);
	b = body_json(f, 1);
	assert_string_equal(json_string_value(json_object_get(b, "query")),
			    ps_sh__op_orders_by_partner.query);
	json_decref(b);
}

static void
test_sh__order_create_refuses_bad_input(void **state)
{
	fixture *f = *state;
	ps_sh_order_new on;
	ps_sh_line_new bad = {"GON-1-1", "SKU", 0, 0, NULL, NULL};
	ps_sh_order o;

	order_new(&on);
	on.partner_order_id = NULL;
	assert_int_equal(ps_sh_order_create(&o, f->sh, &on), PS_EINVAL);
	order_new(&on);
	on.lines = &bad;
	on.nlines = 1;
	assert_int_equal(ps_sh_order_create(&o, f->sh, &on), PS_EINVAL);
	assert_int_equal(mock_server_request_count(f->m), 0);
}

static void
test_sh__warehouses(void **state)
{
	fixture *f = *state;
	ps_sh_warehouse_list l;

	mock_server_reply(f->m, 200, JSON_HDR, ACCOUNT_REPLY);
	assert_int_equal(ps_sh_warehouses(&l, f->sh), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0].id, "V2FyZWhvdXNlOjcxNDU=");
	assert_int_equal(l.items[0].legacy_id, 7145);
	assert_string_equal(l.items[0].identifier, "Primary");
	assert_string_equal(l.items[0].city, "Reno");
	ps_sh_warehouse_list_dispose(&l);
}

static void
test_sh__global_id(void **state)
{
	char id[64];

	(void)state;
	assert_int_equal(ps_sh_global_id(id, sizeof(id), "Order", 555301500),
			 0);
	assert_string_equal(id, "T3JkZXI6NTU1MzAxNTAw");
	assert_int_equal(ps_sh_global_id(id, sizeof(id), "Shipment", 315518042),
			 0);
	assert_string_equal(id, "U2hpcG1lbnQ6MzE1NTE4MDQy");
	assert_int_equal(ps_sh_global_id(id, sizeof(id), "Order", 0),
			 PS_EINVAL);
	assert_int_equal(ps_sh_global_id(id, 8, "Order", 555301500), PS_EINVAL);
}

/* ---- webhooks ----------------------------------------------------------- */

static void
test_sh__hmac_rfc4231_vectors(void **state)
{
	static const char key1[20] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
				      0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
				      0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
	char k1[21], k6[132];
	static const char d6[] =
		"Test Using Larger Than Block-Size Key - Hash Key First";

	(void)state;
	/* test case 1 */
	memcpy(k1, key1, 20);
	k1[20] = '\0';
	assert_int_equal(ps_sh_webhook_verify(k1, "Hi There", 8,
					      "sDRMYdjbOFNcqK/OrwvxK4gdwgDJg"
					      "z2nJuk3bC4yz/c="),
			 0);
	/* test case 2 */
	assert_int_equal(
		ps_sh_webhook_verify(
			"Jefe", "what do ya want for nothing?", 28,
			"W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="),
		0);
	/* test case 6: a key longer than the block */
	memset(k6, 0xaa, 131);
	k6[131] = '\0';
	assert_int_equal(
		ps_sh_webhook_verify(
			k6, d6, strlen(d6),
			"YOQxWR7gtn8Niiaqy/W3f44LxiE3KMUUBUYEDw7jf1Q="),
		0);
	/* one bit off, wrong key, missing, empty */
	assert_int_equal(
		ps_sh_webhook_verify(
			"Jefe", "what do ya want for nothing?", 28,
			"W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEN="),
		PS_EAUTH);
	assert_int_equal(
		ps_sh_webhook_verify(
			"jefe", "what do ya want for nothing?", 28,
			"W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="),
		PS_EAUTH);
	assert_int_equal(ps_sh_webhook_verify("Jefe", "x", 1, NULL), PS_EAUTH);
	assert_int_equal(ps_sh_webhook_verify("Jefe", "x", 1, ""), PS_EAUTH);
	assert_int_equal(ps_sh_webhook_verify(NULL, "x", 1, "abc"), PS_EAUTH);
}

#define HOOK_BODY                                                              \
	"{\"test\":\"0\",\"webhook_type\":\"Shipment Update\","                \
	"\"fulfillment\":{\"shipment_id\":315518042,\"partner_order_id\":"     \
	"\"GON-7\"}}"
#define HOOK_SIG "gLmofiIKKoUnFbn5onY4kT6z08ARj9CVSDPQevf6F/Q="

typedef struct hdrs {
	const char *sig;
} hdrs;

static const char *
hdr_of(void *ctx, const char *name)
{
	hdrs *h = ctx;

	return strcmp(name, PS_SH_HMAC_HEADER) == 0 ? h->sig : NULL;
}

static int
accept_body(ps_webhook_event *ev, ps_store *st, const char *body,
	    const char *sig)
{
	const ps_platform_ops *ops = ps_platform_ops_of(PS_PLATFORM_SHIPHERO);
	ps_webhook_request r;
	hdrs h = {sig};

	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.path = "";
	r.body = body;
	r.body_len = strlen(body);
	r.header = hdr_of;
	r.header_ctx = &h;
	r.store = st;
	return ops->webhook_accept(ev, &r);
}

static void
test_sh__webhook_accept_checks_the_signature_first(void **state)
{
	const ps_platform_ops *ops = ps_platform_ops_of(PS_PLATFORM_SHIPHERO);
	ps_webhook_event ev;
	test_db db;

	(void)state;
	assert_non_null(ops);
	assert_string_equal(ops->webhook_ok_body,
			    "{\"code\":\"200\",\"Status\":\"Success\"}");
	assert_int_equal(test_db_open(&db, "shhook"), 0);
	/* no secret set: refused */
	assert_int_equal(accept_body(&ev, db.st, HOOK_BODY, HOOK_SIG),
			 PS_EAUTH);
	assert_int_equal(ps_store_setting_set(NULL, db.st,
					      "shiphero.webhook_secret",
					      "whsec-SECRET", "test", 1),
			 0);
	assert_int_equal(accept_body(&ev, db.st, HOOK_BODY, HOOK_SIG), 0);
	assert_string_equal(ev.topic, "Shipment Update");
	assert_string_equal(ev.object, "shipment");
	assert_int_equal(ev.nids, 1);
	assert_int_equal(ev.ids[0], 315518042);
	assert_string_equal(ev.value, "GON-7");
	/* a forged body under the real signature: refused before parsing */
	assert_int_equal(accept_body(&ev, db.st,
				     "{\"test\":\"0\",\"webhook_type\":"
				     "\"Shipment Update\",\"fulfillment\":{"
				     "\"shipment_id\":315518043}}",
				     HOOK_SIG),
			 PS_EAUTH);
	assert_no_secret(ps_error_last());
	assert_int_equal(ev.nids, 0);
	/* garbage, even signed wrongly, is an auth failure, not a parse */
	assert_int_equal(accept_body(&ev, db.st, "not json", HOOK_SIG),
			 PS_EAUTH);
	assert_int_equal(accept_body(&ev, db.st, HOOK_BODY, NULL), PS_EAUTH);
	test_db_close(&db);
}

static int
decode(ps_webhook_event *ev, const char *body)
{
	const ps_platform_ops *ops = ps_platform_ops_of(PS_PLATFORM_SHIPHERO);

	return ops->webhook_decode(ev, NULL, body, strlen(body));
}

static void
test_sh__webhook_decode(void **state)
{
	const ps_platform_ops *ops = ps_platform_ops_of(PS_PLATFORM_SHIPHERO);
	static const char doc[] =
		"{\"test\":\"0\",\"webhook_type\":\"Shipment Update\","
		"\"fulfillment\":{\"shipment_id\":315518042,\"shipment_uuid\":"
		"\"U2hpcG1lbnQ6MzE1NTE4MDQy\",\"warehouse\":\"Primary\","
		"\"warehouse_id\":76733,\"webhook_type\":\"Shipment Update\","
		"\"partner_order_id\":\"test-track-url\",\"order_number\":"
		"\"test-track-url\",\"tracking_number\":\"15619819718\","
		"\"line_items\":[{\"id\":\"test-track-url-363346570\","
		"\"shiphero_id\":828656700,\"quantity\":1,\"sku\":\"FU2314R\"}]"
		","
		"\"package_number\":1,\"total_packages\":2}}";
	ps_webhook_event ev;

	(void)state;
	assert_int_equal(ops->webhook_decode(&ev, NULL, doc, strlen(doc)), 0);
	assert_int_equal(ev.ids[0], 315518042);
	assert_string_equal(ev.value, "test-track-url");
	assert_int_equal(ops->webhook_decode(&ev, NULL, "[]", 2), PS_EINVAL);
	assert_int_equal(decode(&ev, "{\"webhook_type\":\"Inventory "
				     "Update\"}"),
			 PS_EINVAL);
	assert_non_null(strstr(ps_error_last(), "unknown webhook type"));
	assert_int_equal(decode(&ev, "{\"webhook_type\":\"Shipment Update\","
				     "\"fulfillment\":{\"shipment_id\":-4}}"),
			 PS_EINVAL);
	assert_non_null(strstr(ps_error_last(), "shipment_id"));
	/* the id as a string of digits is still the id */
	assert_int_equal(decode(&ev, "{\"webhook_type\":\"Shipment Update\","
				     "\"fulfillment\":{\"shipment_id\":"
				     "\"42\"}}"),
			 0);
	assert_int_equal(ev.ids[0], 42);
	assert_int_equal(decode(&ev, "{\"webhook_type\":\"Shipment Update\","
				     "\"fulfillment\":{\"shipment_id\":-4}}"),
			 PS_EINVAL);
	assert_int_equal(ev.nids, 0);
}

static void
test_sh__webhook_register_returns_the_secret(void **state)
{
	fixture *f = *state;
	ps_sh_webhook w;
	json_t *b;

	mock_server_reply(f->m, 200, JSON_HDR,
			  "{\"data\":{\"webhook_create\":{\"webhook\":{\"id\":"
			  "\"V2g=\",\"legacy_id\":9,\"name\":\"Shipment "
			  "Update\",\"url\":\"https://h.example/webhooks/"
			  "shiphero\",\"shared_signature_secret\":"
			  "\"whsec-SECRET\"}}}}");
	assert_int_equal(ps_sh_webhook_register(&w, f->sh,
						PS_SH_WEBHOOK_SHIPMENT_UPDATE,
						"https://h.example/webhooks/"
						"shiphero",
						NULL),
			 0);
	assert_string_equal(w.shared_signature_secret, "whsec-SECRET");
	assert_string_equal(w.name, "Shipment Update");
	ps_sh_webhook_dispose(&w);
	b = body_json(f, 0);
	assert_string_equal(
		json_string_value(ps_conn__json_at(b, "variables.data.name")),
		"Shipment Update");
	assert_null(ps_conn__json_at(b, "variables.data.shop_name"));
	json_decref(b);
}

#define HOOKS_LIST(url)                                                        \
	"{\"data\":{\"webhooks\":{\"data\":{\"pageInfo\":{"                    \
	"\"hasNextPage\":false},\"edges\":[{\"node\":{\"id\":\"V2g=\","        \
	"\"name\":\"Shipment Update\",\"url\":\"" url "\","                    \
	"\"shop_name\":\"api\"}}]}}}}"

static void
test_sh__hooks_sync_recreates_a_hook_at_another_url(void **state)
{
	const ps_platform_ops *ops = ps_platform_ops_of(PS_PLATFORM_SHIPHERO);
	fixture *f = *state;
	size_t changed = 9;
	char *secret;
	json_t *b;
	test_db db;

	assert_int_equal(test_db_open(&db, "shsync"), 0);
	mock_server_reply(f->m, 200, JSON_HDR,
			  HOOKS_LIST("https://old.example/webhooks/shiphero"));
	mock_server_reply(f->m, 200, JSON_HDR,
			  "{\"data\":{\"webhook_delete\":{\"request_id\":"
			  "\"r\"}}}");
	mock_server_reply(f->m, 200, JSON_HDR,
			  "{\"data\":{\"webhook_create\":{\"webhook\":{\"id\":"
			  "\"V2h=\",\"name\":\"Shipment Update\",\"url\":"
			  "\"https://h.example/webhooks/shiphero\","
			  "\"shared_signature_secret\":\"whsec-SECRET\"}}}}");
	assert_int_equal(ops->hooks_sync(&changed, f->sh, db.st,
					 "https://h.example/", 1000),
			 0);
	assert_int_equal(changed, 1);
	assert_int_equal(mock_server_request_count(f->m), 3);
	b = body_json(f, 1);
	assert_string_equal(json_string_value(json_object_get(b, "query")),
			    ps_sh__op_webhook_delete.query);
	assert_string_equal(
		json_string_value(ps_conn__json_at(b, "variables.data.name")),
		"Shipment Update");
	assert_string_equal(json_string_value(ps_conn__json_at(
				    b, "variables.data.shop_name")),
			    "api");
	json_decref(b);
	b = body_json(f, 2);
	assert_string_equal(
		json_string_value(ps_conn__json_at(b, "variables.data.url")),
		"https://h.example/webhooks/shiphero");
	json_decref(b);
	secret = ps_settings_value(db.st, "shiphero.webhook_secret");
	assert_non_null(secret);
	assert_string_equal(secret, "whsec-SECRET");
	free(secret);
	/* in place, secret known: only the list */
	mock_server_reply(f->m, 200, JSON_HDR,
			  HOOKS_LIST("https://h.example/webhooks/shiphero"));
	assert_int_equal(ops->hooks_sync(&changed, f->sh, db.st,
					 "https://h.example", 2000),
			 0);
	assert_int_equal(changed, 0);
	assert_int_equal(mock_server_request_count(f->m), 4);
	test_db_close(&db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define TR(fn) cmocka_unit_test_setup_teardown(fn, setup_retrying, teardown)
		T(test_sh__login_sends_the_password_once_and_returns_tokens),
		T(test_sh__login_refused_is_eauth_without_the_password),
		T(test_sh__refresh_before_expiry),
		T(test_sh__token_valid_is_not_refreshed),
		T(test_sh__refresh_once_on_401),
		T(test_sh__refused_after_refresh_is_final),
		T(test_sh__refresh_token_refused),
		T(test_sh__connect_trades_the_password_and_erases_it),
		T(test_sh__request_body_is_the_constant_query_with_variables),
		T(test_sh__order_find_none_is_enotfound),
		T(test_sh__errors_map_to_codes_with_the_message),
		T(test_sh__throttle_error_says_when_to_retry),
		TR(test_sh__throttle_is_retried_after_its_hint),
		T(test_sh__credits_feed_the_limiter),
		T(test_sh__shipments_page_to_the_end),
		T(test_sh__bad_shipment_does_not_stop_the_walk),
		T(test_sh__paging_with_a_stuck_cursor_stops),
		T(test_sh__shipment_get_reads_every_line),
		T(test_sh__order_create_sends_the_input_and_reads_the_order),
		T(test_sh__order_create_duplicate_is_eexists),
		T(test_sh__order_create_lost_reply_adopts_the_order),
		T(test_sh__order_create_refuses_bad_input),
		T(test_sh__warehouses),
		T(test_sh__global_id),
		T(test_sh__hmac_rfc4231_vectors),
		T(test_sh__webhook_accept_checks_the_signature_first),
		T(test_sh__webhook_decode),
		T(test_sh__webhook_register_returns_the_secret),
		T(test_sh__hooks_sync_recreates_a_hook_at_another_url),
	};

	ps_lib_init();
	ps_log_set_level(PS_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
