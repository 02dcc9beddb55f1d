/*
 * test_sandbox_shiphero.c - the ShipHero simulator in pearlsync-sandbox:
 * token and refresh with expiry, queries refused by the schema check
 * (each with its message), credits charged per query and the code-30
 * refusal, Relay paging, order_create's duplicate refusal, shipping whole,
 * split and partial through the control API and read back with the
 * shipments query, Shipment Update webhooks signed with HMAC-SHA256
 * (checked here with an independent SHA-256), retries with the hook's
 * health, and injected faults.
 *
 * The sandbox runs with its default schema, the simulator's own
 * tests/sandbox/shiphero/schema.graphql, so these tests need nothing
 * outside the tree.
 */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sandbox_proc.h"

static sandbox_proc sbx;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ---- SHA-256 and HMAC (FIPS 180-4), independent of the sandbox's ------ */

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
sha256_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] +
		       (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^
			(w[i - 15] >> 3)) +
		       w[i - 7] +
		       (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^
			(w[i - 2] >> 10));
	a = h[0], b = h[1], c = h[2], d = h[3];
	e = h[4], f = h[5], g = h[6], k = h[7];
	for (i = 0; i < 64; i++) {
		t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) +
		     ((e & f) ^ (~e & g)) + K[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		k = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d;
	h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

/* SHA-256 of two concatenated parts. */
static void
sha256_2(unsigned char out[32], const void *a, size_t alen, const void *b,
	 size_t blen)
{
	uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	size_t total = alen + blen, n = 0, i;
	unsigned char block[64];
	uint64_t bits = (uint64_t)total * 8;

	for (i = 0; i < total; i++) {
		block[n++] = i < alen ? ((const unsigned char *)a)[i]
				      : ((const unsigned char *)b)[i - alen];
		if (n == 64) {
			sha256_block(h, block);
			n = 0;
		}
	}
	block[n++] = 0x80;
	if (n > 56) {
		memset(block + n, 0, 64 - n);
		sha256_block(h, block);
		n = 0;
	}
	memset(block + n, 0, 56 - n);
	for (i = 0; i < 8; i++)
		block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_block(h, block);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(h[i] >> 8);
		out[4 * i + 3] = (unsigned char)h[i];
	}
}

static void
hmac_sha256_b64(char *out, size_t outlen, const char *key, const char *msg)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
		"vwxyz0123456789+/";
	unsigned char k[64] = {0}, pad[64], inner[32], mac[32];
	size_t i, o = 0;

	assert_true(strlen(key) <= 64);
	memcpy(k, key, strlen(key));
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	sha256_2(inner, pad, 64, msg, strlen(msg));
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	sha256_2(mac, pad, 64, inner, 32);
	for (i = 0; i < 32; i += 3) {
		unsigned v = (unsigned)mac[i] << 16 |
			     (i + 1 < 32 ? (unsigned)mac[i + 1] << 8 : 0) |
			     (i + 2 < 32 ? mac[i + 2] : 0);

		assert_true(o + 5 < outlen);
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < 32 ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < 32 ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

/* ---- HTTP helpers ------------------------------------------------------- */

static json_t *
parse(const sandbox_reply *r)
{
	json_error_t err;
	json_t *j = json_loads(r->body ? r->body : "", 0, &err);

	if (j == NULL)
		fail_msg("invalid JSON (%s): %.200s", err.text,
			 r->body ? r->body : "");
	return j;
}

static json_t *
post(const char *path, const char *const *headers, const char *body, long want)
{
	sandbox_reply r;
	char url[512];
	json_t *j;

	snprintf(url, sizeof(url), "%s%s", sandbox_proc_url(&sbx, "shiphero"),
		 path);
	sandbox_http(&r, "POST", url, headers, body, NULL);
	if (r.status != want)
		fail_msg("POST %s: status %ld, want %ld: %.400s", path,
			 r.status, want, r.body ? r.body : "");
	j = parse(&r);
	sandbox_reply_dispose(&r);
	return j;
}

static json_t *
control_json(const char *method, const char *path, const char *body, long want)
{
	sandbox_reply r;
	char url[512];
	json_t *j;

	snprintf(url, sizeof(url), "%s%s", sbx.control, path);
	sandbox_http(&r, method, url, NULL, body, NULL);
	if (r.status != want)
		fail_msg("%s %s: status %ld, want %ld: %.300s", method, path,
			 r.status, want, r.body ? r.body : "");
	j = parse(&r);
	sandbox_reply_dispose(&r);
	return j;
}

/* A GraphQL request with the configured token; the whole reply. */
static json_t *
gql_as(const char *token, const char *query, const char *vars, long want)
{
	char auth[600];
	const char *headers[] = {auth, NULL};
	json_t *body = json_pack("{s:s}", "query", query), *j;
	char *text;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	if (vars)
		json_object_set_new(body, "variables",
				    json_loads(vars, 0, NULL));
	text = json_dumps(body, JSON_COMPACT);
	j = post("/graphql", headers, text, want);
	free(text);
	json_decref(body);
	return j;
}

static json_t *
gql(const char *query, const char *vars, long want)
{
	return gql_as("sandbox-token", query, vars, want);
}

/* The message of errors[i]. */
static const char *
err_msg(const json_t *reply, size_t i)
{
	return json_string_value(json_object_get(
		json_array_get(json_object_get(reply, "errors"), i),
		"message"));
}

static void
refused(const char *query, const char *vars, const char *message)
{
	json_t *j = gql(query, vars, 400);

	assert_non_null(err_msg(j, 0));
	assert_string_equal(err_msg(j, 0), message);
	assert_null(json_object_get(j, "data"));
	json_decref(j);
}

static const char create_q[] =
	"mutation C($d: CreateOrderInput!) { order_create(data: $d) { "
	"request_id complexity order { id legacy_id partner_order_id "
	"fulfillment_status line_items(first: 10) { edges { node { id sku "
	"partner_line_item_id quantity warehouse_id locked_to_warehouse_id } } "
	"} } } }";

/* Create an order with lines L1 (qty 3, SKU TEE-RED-S) and L2 (qty 2,
 * MUG-LOGO locked to the East warehouse); returns the reply. */
static json_t *
create_order(const char *poid, long want)
{
	char vars[1024];

	snprintf(vars, sizeof(vars),
		 "{\"d\":{\"partner_order_id\":\"%s\",\"order_number\":\"%s\","
		 "\"shop_name\":\"Brightpearl\",\"shipping_lines\":{\"title\":"
		 "\"UPS Ground\",\"price\":\"0.00\",\"carrier\":\"UPS\"},"
		 "\"shipping_address\":{\"first_name\":\"Ada\",\"city\":"
		 "\"Reno\",\"country\":\"US\"},\"line_items\":[{\"sku\":"
		 "\"TEE-RED-S\",\"partner_line_item_id\":\"L1\",\"quantity\":3,"
		 "\"price\":\"19.00\"},{\"sku\":\"MUG-LOGO\","
		 "\"partner_line_item_id\":\"L2\",\"quantity\":2,\"price\":"
		 "\"9.95\",\"warehouse_id\":\"V2FyZWhvdXNlOjcxNDY=\"}]}}",
		 poid, poid);
	return gql(create_q, vars, want);
}

/* ---- a webhook receiver in this process --------------------------------- */

#define MAX_HITS 32

typedef struct receiver {
	struct MHD_Daemon *daemon;
	int port;
	pthread_mutex_t lock;
	int always_fail;
	long stall_ms; /* wait this long before answering */
	int hits;
	char *bodies[MAX_HITS];
	char sig[MAX_HITS][96];
	char msgid[MAX_HITS][64];
} receiver;

typedef struct upload {
	char *buf;
	size_t len;
} upload;

static enum MHD_Result
receive(void *cls, struct MHD_Connection *conn, const char *url,
	const char *method, const char *version, const char *data,
	size_t *data_size, void **state)
{
	receiver *rc = cls;
	upload *up = *state;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	int status;
	const char *sig, *mid;
	static const char ok[] = "{\"code\":\"200\",\"Status\":\"Success\"}";

	(void)url;
	(void)method;
	(void)version;
	if (up == NULL) {
		up = calloc(1, sizeof(*up));
		if (up == NULL)
			return MHD_NO;
		*state = up;
		return MHD_YES;
	}
	if (*data_size > 0) {
		char *n = realloc(up->buf, up->len + *data_size + 1);

		if (n == NULL)
			return MHD_NO;
		memcpy(n + up->len, data, *data_size);
		up->buf = n;
		up->len += *data_size;
		up->buf[up->len] = '\0';
		*data_size = 0;
		return MHD_YES;
	}
	sig = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					  "X-ShipHero-HMAC-SHA256");
	mid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					  "X-ShipHero-Message-ID");
	pthread_mutex_lock(&rc->lock);
	if (rc->hits < MAX_HITS) {
		rc->bodies[rc->hits] = up->buf ? up->buf : strdup("");
		up->buf = NULL;
		snprintf(rc->sig[rc->hits], sizeof(rc->sig[0]), "%s",
			 sig ? sig : "");
		snprintf(rc->msgid[rc->hits], sizeof(rc->msgid[0]), "%s",
			 mid ? mid : "");
	}
	status = rc->always_fail ? 500 : 200;
	rc->hits++;
	pthread_mutex_unlock(&rc->lock);
	if (rc->stall_ms > 0)
		pause_ms(rc->stall_ms);
	resp = MHD_create_response_from_buffer(strlen(ok), (void *)ok,
					       MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
receive_done(void *cls, struct MHD_Connection *conn, void **state,
	     enum MHD_RequestTerminationCode code)
{
	upload *up = *state;

	(void)cls;
	(void)conn;
	(void)code;
	if (up) {
		free(up->buf);
		free(up);
	}
	*state = NULL;
}

static void
receiver_start(receiver *rc, int always_fail)
{
	const union MHD_DaemonInfo *info;

	memset(rc, 0, sizeof(*rc));
	pthread_mutex_init(&rc->lock, NULL);
	rc->always_fail = always_fail;
	rc->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
		NULL, receive, rc, MHD_OPTION_NOTIFY_COMPLETED, receive_done,
		NULL, MHD_OPTION_END);
	assert_non_null(rc->daemon);
	info = MHD_get_daemon_info(rc->daemon, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	rc->port = info->port;
}

static int
receiver_hits(receiver *rc)
{
	int n;

	pthread_mutex_lock(&rc->lock);
	n = rc->hits;
	pthread_mutex_unlock(&rc->lock);
	return n;
}

static void
receiver_stop(receiver *rc)
{
	int i;

	MHD_stop_daemon(rc->daemon);
	for (i = 0; i < rc->hits && i < MAX_HITS; i++)
		free(rc->bodies[i]);
	pthread_mutex_destroy(&rc->lock);
}

static void
wait_hits(receiver *rc, int n)
{
	long long deadline = now_ms() + 10000;

	while (receiver_hits(rc) < n && now_ms() < deadline)
		pause_ms(10);
	assert_true(receiver_hits(rc) >= n);
}

/* Register a Shipment Update hook at the receiver; returns the secret. */
static char *
create_hook(receiver *rc)
{
	char vars[256];
	json_t *j, *h;
	char *secret;

	snprintf(vars, sizeof(vars),
		 "{\"d\":{\"name\":\"Shipment Update\",\"url\":"
		 "\"http://127.0.0.1:%d/hook\",\"shop_name\":\"pearlsync\"}}",
		 rc->port);
	j = gql("mutation W($d: CreateWebhookInput!) { webhook_create(data: "
		"$d) { request_id webhook { id name url shop_name "
		"shared_signature_secret } } }",
		vars, 200);
	h = json_object_get(
		json_object_get(json_object_get(j, "data"), "webhook_create"),
		"webhook");
	assert_string_equal(json_string_value(json_object_get(h, "name")),
			    "Shipment Update");
	assert_true(
		json_is_string(json_object_get(h, "shared_signature_secret")));
	secret = strdup(json_string_value(
		json_object_get(h, "shared_signature_secret")));
	json_decref(j);
	return secret;
}

/* ---- fixtures ----------------------------------------------------------- */

static int
group_setup(void **state)
{
	const char *args[] = {"--sh-user", "ops@example.com", "--sh-password",
			      "pw-1", NULL};

	(void)state;
	return sandbox_proc_start(&sbx, args, 20000) == 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	/* a clean exit (under ASan: no leak either) */
	return sandbox_proc_stop(&sbx) == 0 ? 0 : -1;
}

static int
reset(void **state)
{
	(void)state;
	json_decref(control_json("POST", "/reset", "{\"seed\":\"demo\"}", 200));
	return 0;
}

/* ---- auth --------------------------------------------------------------- */

static void
test_sh__auth_refresh_and_expiry(void **state)
{
	json_t *j, *e;
	char token[600], token2[600];
	const char q[] = "{ account { data { id } } }";

	(void)state;
	j = post("/auth/token", NULL,
		 "{\"username\":\"ops@example.com\",\"password\":\"nope\"}",
		 401);
	assert_string_equal(json_string_value(json_object_get(j, "error")),
			    "invalid_grant");
	json_decref(j);
	j = post("/auth/token", NULL,
		 "{\"username\":\"ops@example.com\",\"password\":\"pw-1\"}",
		 200);
	assert_int_equal(json_integer_value(json_object_get(j, "expires_in")),
			 2419200);
	assert_string_equal(json_string_value(json_object_get(j, "token_type")),
			    "Bearer");
	assert_string_equal(
		json_string_value(json_object_get(j, "refresh_token")),
		"sandbox-refresh");
	snprintf(token, sizeof(token), "%s",
		 json_string_value(json_object_get(j, "access_token")));
	json_decref(j);
	/* three dot-separated parts, like the real JWT */
	assert_non_null(strchr(strchr(token, '.') + 1, '.'));
	json_decref(gql_as(token, q, NULL, 200));
	/* no or unknown token */
	j = gql_as("not-a-token", q, NULL, 401);
	assert_string_equal(err_msg(j, 0), "Invalid token");
	json_decref(j);
	/* 28 days later the access token has expired */
	json_decref(control_json("POST", "/shiphero/auth",
				 "{\"advance_s\":2419201}", 200));
	j = gql_as(token, q, NULL, 401);
	assert_string_equal(err_msg(j, 0), "The access token has expired");
	json_decref(j);
	/* refresh: a bad refresh token is refused, the right one works */
	json_decref(post("/auth/refresh", NULL, "{\"refresh_token\":\"wrong\"}",
			 401));
	j = post("/auth/refresh", NULL,
		 "{\"refresh_token\":\"sandbox-refresh\"}", 200);
	assert_null(json_object_get(j, "refresh_token"));
	snprintf(token2, sizeof(token2), "%s",
		 json_string_value(json_object_get(j, "access_token")));
	json_decref(j);
	assert_string_not_equal(token, token2);
	j = gql_as(token2, q, NULL, 200);
	e = json_object_get(
		json_object_get(json_object_get(j, "data"), "account"), "data");
	assert_string_equal(json_string_value(json_object_get(e, "id")),
			    "QWNjb3VudDo0MjIy");
	json_decref(j);
	/* the control call can expire every token at once */
	json_decref(control_json("POST", "/shiphero/auth",
				 "{\"expire_all\":true}", 200));
	json_decref(gql_as(token2, q, NULL, 401));
}

/* ---- schema validation -------------------------------------------------- */

static void
test_sh__schema_refusals(void **state)
{
	(void)state;
	refused("{ orders { data { edges { node { id bogus } } } } }", NULL,
		"Cannot query field \"bogus\" on type \"Order\".");
	refused("{ orders(colour: \"red\") { request_id } }", NULL,
		"Unknown argument \"colour\" on field \"Query.orders\".");
	refused("{ orders(partner_order_id: 5) { request_id } }", NULL,
		"Expected value of type \"String\", found 5.");
	refused("{ order { request_id } }", NULL,
		"Field \"order\" argument \"id\" of type \"String!\" is "
		"required, but it was not provided.");
	refused("query Q { orders(sku: $sku) { request_id } }", NULL,
		"Variable \"$sku\" is not defined by operation \"Q\".");
	refused("query Q($n: Int) { orders(sku: $n) { request_id } }", NULL,
		"Variable \"$n\" of type \"Int\" used in position expecting "
		"type \"String\".");
	refused("{ orders { request_id }", NULL,
		"Syntax Error: Expected Name, found <EOF>.");
	refused("{ orders }", NULL,
		"Field \"orders\" of type \"OrdersQueryResult\" must have a "
		"selection of subfields. Did you mean \"orders { ... }\"?");
	refused("mutation { order_create(data: {line_items: []}) { "
		"request_id } }",
		NULL,
		"Field \"CreateOrderInput.shipping_address\" of required type "
		"\"CreateOrderAddressInput!\" was not provided.");
	refused(create_q,
		"{\"d\":{\"shipping_address\":{},\"line_items\":[{"
		"\"sku\":\"X\",\"quantity\":1,\"price\":\"1\"}]}}",
		"Variable \"$d\" got invalid value at \"d.line_items[0]\"; "
		"Field "
		"\"partner_line_item_id\" of required type \"String!\" was not "
		"provided.");
	refused("{ orders { request_id ...F } } fragment F on Order { id }",
		NULL,
		"Fragment \"F\" cannot be spread here as objects of type "
		"\"OrdersQueryResult\" can never be of type \"Order\".");
	refused("{ order(id: \"1\") { data { ...F } } } fragment F on Order { "
		"bogus }",
		NULL, "Cannot query field \"bogus\" on type \"Order\".");
	/* nothing was created by any of them */
	{
		json_t *s = control_json("GET", "/shiphero/orders", NULL, 200);

		assert_int_equal(json_array_size(s), 0);
		json_decref(s);
	}
}

/* ---- credits ------------------------------------------------------------ */

static void
test_sh__credits_and_throttle(void **state)
{
	json_t *j, *t, *e;
	long long before, after;
	const char q[] = "{ orders { data { edges { node { id } } } } }";

	(void)state;
	json_decref(create_order("GON-1", 200));
	j = gql(q, NULL, 200);
	t = json_object_get(json_object_get(j, "extensions"), "throttling");
	/* a connection without first costs 100 per node, plus the root */
	assert_int_equal(
		json_integer_value(json_object_get(t, "estimated_complexity")),
		101);
	assert_int_equal(json_integer_value(json_object_get(t, "cost")), 2);
	before = json_integer_value(json_object_get(
		json_object_get(t, "user_quota"), "credits_remaining"));
	assert_int_equal(
		json_integer_value(json_object_get(
			json_object_get(t, "user_quota"), "max_available")),
		2002);
	json_decref(j);
	j = gql("{ orders { data(first: 1) { edges { node { id } } } } }", NULL,
		200);
	t = json_object_get(json_object_get(j, "extensions"), "throttling");
	assert_int_equal(
		json_integer_value(json_object_get(t, "estimated_complexity")),
		2);
	after = json_integer_value(json_object_get(
		json_object_get(t, "user_quota"), "credits_remaining"));
	/* 2 spent, at most a little refilled meanwhile (30/s) */
	assert_true(after < before + 30);
	assert_true(after <= 2002 - 4 + 30);
	json_decref(j);

	/* a small bucket that refills slowly: 101 needed, 50 there */
	json_decref(control_json("POST", "/shiphero/credits",
				 "{\"max_available\":200,\"increment_rate\":1,"
				 "\"credits_remaining\":50}",
				 200));
	j = gql(q, NULL, 200);
	e = json_array_get(json_object_get(j, "errors"), 0);
	assert_int_equal(json_integer_value(json_object_get(e, "code")), 30);
	assert_int_equal(
		json_integer_value(json_object_get(e, "required_credits")),
		101);
	assert_true(json_integer_value(
			    json_object_get(e, "remaining_credits")) <= 50);
	assert_non_null(
		strstr(json_string_value(json_object_get(e, "time_remaining")),
		       " seconds"));
	assert_non_null(strstr(err_msg(j, 0), "which requires 101 credits"));
	assert_true(json_is_null(
		json_object_get(json_object_get(j, "data"), "orders")));
	json_decref(j);
	/* above the bucket's size: never runs, not a wait (code 3) */
	j = gql("{ orders { data { edges { node { line_items { edges { node { "
		"sku } } } } } } } }",
		NULL, 200);
	e = json_array_get(json_object_get(j, "errors"), 0);
	assert_int_equal(json_integer_value(json_object_get(e, "code")), 3);
	assert_string_equal(err_msg(j, 0),
			    "The query complexity 10001 is above the maximum "
			    "of 200 credits; ask for fewer items (first/last)");
	json_decref(j);
	/* a cheaper query still runs and is charged */
	j = gql("{ orders { data(first: 5) { edges { node { id } } } } }", NULL,
		200);
	assert_null(json_object_get(j, "errors"));
	json_decref(j);
	/* analyze: the estimate without running or charging */
	j = gql("{ orders(analyze: true) { complexity data { edges { node { "
		"id } } } } }",
		NULL, 200);
	assert_null(json_object_get(j, "errors"));
	assert_int_equal(
		json_integer_value(json_object_get(
			json_object_get(json_object_get(j, "data"), "orders"),
			"complexity")),
		101);
	json_decref(j);
}

/* ---- paging ------------------------------------------------------------- */

static void
test_sh__relay_paging(void **state)
{
	char poid[32], after[128] = "";
	int seen[8] = {0}, pages = 0, total = 0, i;
	json_t *j, *d, *e;
	size_t k;

	(void)state;
	for (i = 0; i < 7; i++) {
		snprintf(poid, sizeof(poid), "GON-%d", i);
		json_decref(create_order(poid, 200));
	}
	for (;;) {
		char vars[256];
		int more;

		snprintf(vars, sizeof(vars), "{\"a\":%s%s%s}",
			 after[0] ? "\"" : "", after[0] ? after : "null",
			 after[0] ? "\"" : "");
		j = gql("query P($a: String) { orders { data(first: 3, after: "
			"$a) { pageInfo { hasNextPage endCursor } edges { "
			"cursor node { partner_order_id } } } } }",
			vars, 200);
		d = json_object_get(
			json_object_get(json_object_get(j, "data"), "orders"),
			"data");
		json_array_foreach (json_object_get(d, "edges"), k, e) {
			const char *p = json_string_value(
				json_object_get(json_object_get(e, "node"),
						"partner_order_id"));

			assert_non_null(p);
			seen[strtol(p + 4, NULL, 10) & 7]++;
			total++;
		}
		more = json_is_true(json_object_get(
			json_object_get(d, "pageInfo"), "hasNextPage"));
		snprintf(after, sizeof(after), "%s",
			 json_string_value(json_object_get(
				 json_object_get(d, "pageInfo"), "endCursor")));
		json_decref(j);
		pages++;
		if (!more || pages > 5)
			break;
	}
	assert_int_equal(pages, 3);
	assert_int_equal(total, 7);
	for (i = 0; i < 7; i++)
		assert_int_equal(seen[i], 1);
	/* cursors are base64("arrayconnection:N") */
	assert_string_equal(after, "YXJyYXljb25uZWN0aW9uOjY=");
	/* last: 2 gives the last two */
	j = gql("{ orders { data(last: 2) { pageInfo { hasPreviousPage } "
		"edges { node { partner_order_id } } } } }",
		NULL, 200);
	d = json_object_get(
		json_object_get(json_object_get(j, "data"), "orders"), "data");
	assert_int_equal(json_array_size(json_object_get(d, "edges")), 2);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(
				json_array_get(json_object_get(d, "edges"), 1),
				"node"),
			"partner_order_id")),
		"GON-6");
	json_decref(j);
	/* negative first: ShipHero's code 3 */
	j = gql("{ orders { data(first: -1) { edges { node { id } } } } }",
		NULL, 200);
	assert_int_equal(
		json_integer_value(json_object_get(
			json_array_get(json_object_get(j, "errors"), 0),
			"code")),
		3);
	assert_string_equal(err_msg(j, 0),
			    "first and last can't be negative values");
	json_decref(j);
}

/* ---- orders ------------------------------------------------------------- */

static void
test_sh__order_create_and_duplicate(void **state)
{
	json_t *j, *o, *e;

	(void)state;
	j = create_order("GON-77", 200);
	o = json_object_get(
		json_object_get(json_object_get(j, "data"), "order_create"),
		"order");
	assert_string_equal(
		json_string_value(json_object_get(o, "fulfillment_status")),
		"pending");
	e = json_object_get(json_object_get(o, "line_items"), "edges");
	assert_int_equal(json_array_size(e), 2);
	/* L2 is locked to East, L1 goes to the first warehouse */
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_array_get(e, 1), "node"),
			"locked_to_warehouse_id")),
		"V2FyZWhvdXNlOjcxNDY=");
	assert_true(json_is_null(
		json_object_get(json_object_get(json_array_get(e, 0), "node"),
				"locked_to_warehouse_id")));
	json_decref(j);
	/* the same partner_order_id again is refused, nothing created */
	j = create_order("GON-77", 200);
	assert_string_equal(
		err_msg(j, 0),
		"Order with partner_order_id GON-77 already exists");
	assert_true(json_is_null(json_object_get(
		json_object_get(json_object_get(j, "data"), "order_create"),
		"order")));
	json_decref(j);
	/* lookup by partner_order_id */
	j = gql("{ orders(partner_order_id: \"GON-77\") { data { edges { node "
		"{ partner_order_id order_number shop_name shipping_lines { "
		"title carrier } } } } } }",
		NULL, 200);
	e = json_object_get(
		json_object_get(
			json_object_get(json_object_get(j, "data"), "orders"),
			"data"),
		"edges");
	assert_int_equal(json_array_size(e), 1);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(
				json_object_get(json_array_get(e, 0), "node"),
				"shipping_lines"),
			"title")),
		"UPS Ground");
	json_decref(j);
	/* by warehouse: L2 is locked to East */
	j = gql("{ orders(warehouse_id: \"V2FyZWhvdXNlOjcxNDY=\") { data { "
		"edges { node { partner_order_id } } } } }",
		NULL, 200);
	assert_int_equal(
		json_array_size(json_object_get(
			json_object_get(
				json_object_get(json_object_get(j, "data"),
						"orders"),
				"data"),
			"edges")),
		1);
	json_decref(j);
	j = gql("{ orders(warehouse_id: \"V2FyZWhvdXNlOjk5OTk=\") { data { "
		"edges { node { partner_order_id } } } } }",
		NULL, 200);
	assert_int_equal(
		json_array_size(json_object_get(
			json_object_get(
				json_object_get(json_object_get(j, "data"),
						"orders"),
				"data"),
			"edges")),
		0);
	json_decref(j);
	/* a status change through the API */
	j = gql("mutation { order_update_fulfillment_status(data: {order_id: "
		"\"555301500\", fulfillment_status: \"on_hold\"}) { order { "
		"fulfillment_status } } }",
		NULL, 200);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(
				json_object_get(
					json_object_get(j, "data"),
					"order_update_fulfillment_status"),
				"order"),
			"fulfillment_status")),
		"on_hold");
	json_decref(j);
	/* cancel through the API */
	j = gql("mutation { order_cancel(data: {order_id: "
		"\"T3JkZXI6NTU1MzAxNTAw\", reason: \"note deleted\"}) { order "
		"{ fulfillment_status } } }",
		NULL, 200);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(
				json_object_get(json_object_get(j, "data"),
						"order_cancel"),
				"order"),
			"fulfillment_status")),
		"canceled");
	json_decref(j);
	/* a canceled order cannot be shipped */
	json_decref(control_json("POST", "/shiphero/orders/GON-77/ship", "{}",
				 422));
}

/* Shipments since the epoch, as the shipments query serves them. */
static json_t *
shipments_edges(json_t **reply)
{
	*reply = gql("{ shipments(date_from: \"2000-01-01\") { data(first: 50) "
		     "{ edges { node { id total_packages order { "
		     "partner_order_id fulfillment_status } line_items(first: "
		     "20) { edges { node { quantity line_item { "
		     "partner_line_item_id } } } } shipping_labels { "
		     "tracking_number carrier package_number } } } } } }",
		     NULL, 200);
	return json_object_get(
		json_object_get(json_object_get(json_object_get(*reply, "data"),
						"shipments"),
				"data"),
		"edges");
}

static void
test_sh__ship_whole_split_partial(void **state)
{
	json_t *j, *r, *edges, *n;

	(void)state;
	json_decref(create_order("WHOLE", 200));
	json_decref(create_order("SPLIT", 200));
	json_decref(create_order("PART", 200));
	/* whole: one package, everything */
	json_decref(
		control_json("POST", "/shiphero/orders/WHOLE/ship", "{}", 201));
	/* split: two packages */
	json_decref(control_json(
		"POST", "/shiphero/orders/SPLIT/ship",
		"{\"packages\":[{\"lines\":[{\"partner_line_item_id\":\"L1\","
		"\"quantity\":3}],\"tracking_number\":\"TRK-A\"},{\"lines\":[{"
		"\"partner_line_item_id\":\"L2\",\"quantity\":2}],"
		"\"tracking_number\":\"TRK-B\",\"carrier\":\"usps\"}]}",
		201));
	/* partial: one unit of L1 */
	json_decref(control_json(
		"POST", "/shiphero/orders/PART/ship",
		"{\"packages\":[{\"lines\":[{\"partner_line_item_id\":\"L1\","
		"\"quantity\":1}]}]}",
		201));
	/* more than is left is refused */
	json_decref(control_json(
		"POST", "/shiphero/orders/PART/ship",
		"{\"packages\":[{\"lines\":[{\"partner_line_item_id\":\"L1\","
		"\"quantity\":3}]}]}",
		422));
	edges = shipments_edges(&r);
	assert_int_equal(json_array_size(edges), 3);
	n = json_object_get(json_array_get(edges, 0), "node");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(n, "order"),
						  "fulfillment_status")),
		"fulfilled");
	assert_int_equal(
		json_integer_value(json_object_get(n, "total_packages")), 1);
	n = json_object_get(json_array_get(edges, 1), "node");
	assert_int_equal(
		json_integer_value(json_object_get(n, "total_packages")), 2);
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(n, "shipping_labels"),
				       1),
			"tracking_number")),
		"TRK-B");
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(n, "shipping_labels"),
				       1),
			"carrier")),
		"usps");
	n = json_object_get(json_array_get(edges, 2), "node");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(n, "order"),
						  "fulfillment_status")),
		"pending");
	assert_int_equal(
		json_integer_value(json_object_get(
			json_object_get(
				json_array_get(json_object_get(
						       json_object_get(
							       n, "line_items"),
						       "edges"),
					       0),
				"node"),
			"quantity")),
		1);
	json_decref(r);
	/* shipped units left the stock: L1 (TEE-RED-S, Primary) 3 + 3 + 1,
	 * L2 (MUG-LOGO, East) 2 + 2 */
	j = control_json("GET", "/shiphero/products", NULL, 200);
	{
		size_t k;
		json_t *p;

		json_array_foreach (j, k, p) {
			const char *sku =
				json_string_value(json_object_get(p, "sku"));
			json_t *wps = json_object_get(p, "warehouse_products");

			if (strcmp(sku, "TEE-RED-S") == 0)
				assert_int_equal(
					json_integer_value(json_object_get(
						json_array_get(wps, 0),
						"on_hand")),
					40 - 7);
			if (strcmp(sku, "MUG-LOGO") == 0)
				assert_int_equal(
					json_integer_value(json_object_get(
						json_array_get(wps, 1),
						"on_hand")),
					40 - 4);
		}
	}
	json_decref(j);
	/* the rest of PART ships later: the order is then fulfilled */
	json_decref(
		control_json("POST", "/shiphero/orders/PART/ship", "{}", 201));
	j = control_json("GET", "/shiphero/orders/PART", NULL, 200);
	assert_string_equal(
		json_string_value(json_object_get(j, "fulfillment_status")),
		"fulfilled");
	assert_int_equal(json_array_size(json_object_get(j, "shipments")), 2);
	assert_int_equal(
		json_integer_value(json_object_get(
			json_array_get(json_object_get(j, "line_items"), 0),
			"quantity_shipped")),
		3);
	json_decref(j);
	/* date_from after everything: none */
	j = gql("{ shipments(date_from: \"2999-01-01\") { data { edges { node "
		"{ id } } } } }",
		NULL, 200);
	assert_int_equal(
		json_array_size(json_object_get(
			json_object_get(
				json_object_get(json_object_get(j, "data"),
						"shipments"),
				"data"),
			"edges")),
		0);
	json_decref(j);
}

/* ---- webhooks ----------------------------------------------------------- */

static void
test_sh__shipment_update_webhook_signed(void **state)
{
	receiver rc;
	char *secret, want[64];
	json_t *j, *f;
	int i;

	(void)state;
	receiver_start(&rc, 0);
	secret = create_hook(&rc);
	/* the secret is not served again */
	j = gql("{ webhooks { data { edges { node { name url "
		"shared_signature_secret } } } } }",
		NULL, 200);
	assert_true(json_is_null(json_object_get(
		json_object_get(
			json_array_get(
				json_object_get(
					json_object_get(
						json_object_get(
							json_object_get(j,
									"data"),
							"webhooks"),
						"data"),
					"edges"),
				0),
			"node"),
		"shared_signature_secret")));
	json_decref(j);
	json_decref(create_order("HOOKED", 200));
	json_decref(control_json(
		"POST", "/shiphero/orders/HOOKED/ship",
		"{\"packages\":[{\"lines\":[{\"partner_line_item_id\":\"L1\","
		"\"quantity\":3}],\"tracking_number\":\"TRK-1\"},{\"lines\":[{"
		"\"partner_line_item_id\":\"L2\",\"quantity\":2}],"
		"\"tracking_number\":\"TRK-2\"}]}",
		201));
	wait_hits(&rc, 2);
	for (i = 0; i < 2; i++) {
		hmac_sha256_b64(want, sizeof(want), secret, rc.bodies[i]);
		assert_string_equal(rc.sig[i], want);
		assert_true(strlen(rc.msgid[i]) > 0);
		j = json_loads(rc.bodies[i], 0, NULL);
		assert_non_null(j);
		assert_string_equal(
			json_string_value(json_object_get(j, "webhook_type")),
			"Shipment Update");
		f = json_object_get(j, "fulfillment");
		assert_string_equal(json_string_value(json_object_get(
					    f, "partner_order_id")),
				    "HOOKED");
		assert_int_equal(json_integer_value(
					 json_object_get(f, "total_packages")),
				 2);
		assert_string_equal(json_string_value(json_object_get(
					    f, "tracking_number")),
				    i == 0 ? "TRK-1" : "TRK-2");
		assert_string_equal(
			json_string_value(json_object_get(
				json_array_get(json_object_get(f, "line_items"),
					       0),
				"id")),
			i == 0 ? "L1" : "L2");
		json_decref(j);
	}
	/* a tampered body would not verify */
	hmac_sha256_b64(want, sizeof(want), secret, "{\"test\":\"1\"}");
	assert_string_not_equal(rc.sig[0], want);
	/* delete by name: no more deliveries */
	json_decref(gql("mutation { webhook_delete(data: {name: \"Shipment "
			"Update\", shop_name: \"pearlsync\"}) { request_id } }",
			NULL, 200));
	json_decref(create_order("AFTER", 200));
	json_decref(
		control_json("POST", "/shiphero/orders/AFTER/ship", "{}", 201));
	pause_ms(200);
	assert_int_equal(receiver_hits(&rc), 2);
	free(secret);
	receiver_stop(&rc);
}

static void
test_sh__webhook_retries_and_health(void **state)
{
	receiver rc;
	char *secret;
	json_t *s;
	long long deadline;
	const char *health = "";

	(void)state;
	json_decref(control_json("POST", "/webhooks",
				 "{\"platform\":\"shiphero\","
				 "\"time_scale\":1000000}",
				 200));
	receiver_start(&rc, 1);
	secret = create_hook(&rc);
	json_decref(create_order("R1", 200));
	json_decref(
		control_json("POST", "/shiphero/orders/R1/ship", "{}", 201));
	/* the first attempt and 5 retries, then given up: WARNING */
	deadline = now_ms() + 10000;
	while (now_ms() < deadline) {
		s = control_json("GET", "/shiphero/webhooks", NULL, 200);
		health = json_string_value(
			json_object_get(json_array_get(s, 0), "health"));
		if (strcmp(health, "WARNING") == 0) {
			json_decref(s);
			break;
		}
		json_decref(s);
		pause_ms(20);
	}
	assert_int_equal(receiver_hits(&rc), 6);
	s = control_json("GET", "/shiphero/webhooks", NULL, 200);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(s, 0), "health")),
			    "WARNING");
	assert_null(json_object_get(json_array_get(s, 0), "_secret"));
	json_decref(s);
	/* a second failed message makes it UNHEALTHY, then nothing is sent */
	json_decref(create_order("R2", 200));
	json_decref(
		control_json("POST", "/shiphero/orders/R2/ship", "{}", 201));
	wait_hits(&rc, 12);
	deadline = now_ms() + 5000;
	do {
		s = control_json("GET", "/shiphero/webhooks", NULL, 200);
		health = json_string_value(
			json_object_get(json_array_get(s, 0), "health"));
		if (strcmp(health, "UNHEALTHY") == 0)
			break;
		json_decref(s);
		s = NULL;
		pause_ms(20);
	} while (now_ms() < deadline);
	assert_non_null(s);
	json_decref(s);
	json_decref(create_order("R3", 200));
	json_decref(
		control_json("POST", "/shiphero/orders/R3/ship", "{}", 201));
	pause_ms(200);
	assert_int_equal(receiver_hits(&rc), 12);
	free(secret);
	receiver_stop(&rc);
}

static void
test_sh__webhook_duplicates(void **state)
{
	receiver rc;
	char *secret;

	(void)state;
	json_decref(control_json("POST", "/webhooks",
				 "{\"platform\":\"shiphero\","
				 "\"duplicate_rate\":1}",
				 200));
	receiver_start(&rc, 0);
	secret = create_hook(&rc);
	json_decref(create_order("DUP", 200));
	json_decref(
		control_json("POST", "/shiphero/orders/DUP/ship", "{}", 201));
	wait_hits(&rc, 2);
	pause_ms(100);
	/* the same message twice: same body, same message id */
	assert_int_equal(receiver_hits(&rc), 2);
	assert_string_equal(rc.bodies[0], rc.bodies[1]);
	assert_string_equal(rc.msgid[0], rc.msgid[1]);
	assert_string_equal(rc.sig[0], rc.sig[1]);
	free(secret);
	receiver_stop(&rc);
}

/* A receiver answering after 7 s: inside ShipHero's 10 s timeout, so the
 * first attempt counts (a 5 s timeout would have retried it). */
static void
test_sh__webhook_slow_receiver_within_timeout(void **state)
{
	receiver rc;
	char *secret;
	json_t *d = NULL, *x;
	long long deadline;
	size_t i;

	(void)state;
	receiver_start(&rc, 0);
	rc.stall_ms = 7000;
	secret = create_hook(&rc);
	json_decref(create_order("SLOW", 200));
	json_decref(
		control_json("POST", "/shiphero/orders/SLOW/ship", "{}", 201));
	deadline = now_ms() + 15000;
	while (now_ms() < deadline) {
		const char *st = "";

		d = control_json("GET", "/webhooks?platform=shiphero", NULL,
				 200);
		json_array_foreach (d, i, x)
			st = json_string_value(json_object_get(x, "state"));
		if (strcmp(st, "pending") != 0)
			break;
		json_decref(d);
		d = NULL;
		pause_ms(200);
	}
	assert_non_null(d);
	assert_int_equal(json_array_size(d), 1);
	x = json_array_get(d, 0);
	assert_string_equal(json_string_value(json_object_get(x, "state")),
			    "delivered");
	assert_int_equal(json_integer_value(json_object_get(x, "attempts")), 1);
	json_decref(d);
	assert_int_equal(receiver_hits(&rc), 1);
	free(secret);
	receiver_stop(&rc);
}

/* ---- faults, stock, seed ------------------------------------------------ */

static void
test_sh__faults(void **state)
{
	json_t *j;

	(void)state;
	json_decref(control_json("POST", "/faults",
				 "{\"platform\":\"shiphero\",\"rate\":1,"
				 "\"kinds\":[\"500\"]}",
				 200));
	j = gql("{ account { request_id } }", NULL, 500);
	assert_string_equal(err_msg(j, 0), "Internal Server Error");
	json_decref(j);
	json_decref(control_json("POST", "/faults",
				 "{\"platform\":\"shiphero\",\"rate\":1,"
				 "\"kinds\":[\"429\"]}",
				 200));
	j = gql("{ account { request_id } }", NULL, 429);
	assert_int_equal(
		json_integer_value(json_object_get(
			json_array_get(json_object_get(j, "errors"), 0),
			"code")),
		30);
	json_decref(j);
	json_decref(control_json("POST", "/faults",
				 "{\"platform\":\"shiphero\",\"rate\":0}",
				 200));
	json_decref(gql("{ account { request_id } }", NULL, 200));
}

static void
test_sh__stock_and_seed(void **state)
{
	json_t *j, *wps;

	(void)state;
	j = gql("{ products(sku: \"MUG-LOGO\") { data { edges { node { sku "
		"name warehouse_products { warehouse_id on_hand } } } } } }",
		NULL, 200);
	wps = json_object_get(
		json_object_get(
			json_array_get(
				json_object_get(
					json_object_get(
						json_object_get(
							json_object_get(j,
									"data"),
							"products"),
						"data"),
					"edges"),
				0),
			"node"),
		"warehouse_products");
	assert_int_equal(json_array_size(wps), 2);
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(wps, 0), "on_hand")),
			 120);
	json_decref(j);
	json_decref(control_json("POST", "/shiphero/stock",
				 "{\"sku\":\"MUG-LOGO\",\"on_hand\":7}", 200));
	j = gql("{ product(sku: \"MUG-LOGO\") { data { warehouse_products { "
		"on_hand } } } }",
		NULL, 200);
	assert_int_equal(
		json_integer_value(json_object_get(
			json_array_get(
				json_object_get(
					json_object_get(
						json_object_get(
							json_object_get(j,
									"data"),
							"product"),
						"data"),
					"warehouse_products"),
				0),
			"on_hand")),
		7);
	json_decref(j);
	j = gql("mutation { product_create(data: {name: \"New\", sku: "
		"\"NEW-1\", warehouse_products: [{warehouse_id: "
		"\"V2FyZWhvdXNlOjcxNDU=\", on_hand: 4}]}) { product { sku } } "
		"}",
		NULL, 200);
	assert_null(json_object_get(j, "errors"));
	json_decref(j);
	j = gql("mutation { product_create(data: {name: \"New\", sku: "
		"\"NEW-1\", warehouse_products: []}) { product { sku } } }",
		NULL, 200);
	assert_string_equal(err_msg(j, 0), "The SKU NEW-1 already exists");
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_sh__auth_refresh_and_expiry, reset),
		cmocka_unit_test_setup(test_sh__schema_refusals, reset),
		cmocka_unit_test_setup(test_sh__credits_and_throttle, reset),
		cmocka_unit_test_setup(test_sh__relay_paging, reset),
		cmocka_unit_test_setup(test_sh__order_create_and_duplicate,
				       reset),
		cmocka_unit_test_setup(test_sh__ship_whole_split_partial,
				       reset),
		cmocka_unit_test_setup(test_sh__shipment_update_webhook_signed,
				       reset),
		cmocka_unit_test_setup(test_sh__webhook_retries_and_health,
				       reset),
		cmocka_unit_test_setup(test_sh__webhook_duplicates, reset),
		cmocka_unit_test_setup(
			test_sh__webhook_slow_receiver_within_timeout, reset),
		cmocka_unit_test_setup(test_sh__faults, reset),
		cmocka_unit_test_setup(test_sh__stock_and_seed, reset),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
