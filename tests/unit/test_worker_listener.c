/*
 * test_worker_listener.c - the webhook listener over real loopback HTTP:
 * the secret header, Standard Webhooks signatures, malformed and oversized
 * bodies (refused before they are read), order callbacks without an order
 * id, the Brightpearl path secret, and that nothing is stored unless the
 * answer is 200.  Also the SHA-256 / HMAC primitives against published
 * test vectors.
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
#include <unistd.h>

#include "pearlsync/store.h"
#include "pearlsync/worker.h"
#include "raw_conn.h"
#include "sandbox_proc.h"
#include "internal.h"
#include "worker/worker_int.h"
#include "test_db.h"

#define T0 1790000000000LL
#define SECRET "s3cret-value-42"

static int64_t
clock_now(void *ctx)
{
	(void)ctx;
	return T0;
}

static void
clock_sleep(void *ctx, int64_t ms)
{
	(void)ctx;
	(void)ms;
}

static const ps_clock fake_clock = {clock_now, clock_sleep, NULL};
static const ps_flow_ops *const no_flows[] = {NULL};

struct fixture {
	test_db db;
	ps_config cfg;
	ps_store *st; /* db.st */
	ps_worker *w;
	ps_listener *l;
	char url[128];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	ps_worker_options o = PS_WORKER_OPTIONS_INIT;

	if (f == NULL)
		return -1;
	if (test_db_open(&f->db, "listen") < 0)
		return -1;
	f->st = f->db.st;
	ps_config_init(&f->cfg);
	snprintf(f->cfg.db_path, sizeof(f->cfg.db_path), "%s", f->db.path);
	f->cfg.listen_port = 0;
	o.clock = &fake_clock;
	o.flows = no_flows;
	o.listen = 1;
	o.connect = 0;
	if (ps_worker_new(&f->w, f->st, &f->cfg, &o) < 0)
		return -1;
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d",
		 ps_worker_listen_port(f->w));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	ps_worker__listener_stop(f->l);
	ps_worker_free(f->w);
	test_db_close(&f->db);
	free(f);
	return 0;
}

static void
set_secret(struct fixture *f)
{
	assert_int_equal(ps_store_setting_set(NULL, f->st, "webhooks.secret",
					      SECRET, "test", T0),
			 0);
}

static long
post(struct fixture *f, const char *path, const char *const *headers,
     const char *body)
{
	sandbox_reply r;
	char url[512];
	long status;

	snprintf(url, sizeof(url), "%s%s", f->url, path);
	status = sandbox_http(&r, "POST", url, headers, body, NULL);
	sandbox_reply_dispose(&r);
	return status;
}

/* Claim every stored event; returns how many; *first gets the first. */
static size_t
take_events(struct fixture *f, ps_event *first)
{
	ps_event *v = NULL;
	size_t n = 0;

	assert_int_equal(ps_store_event_claim(&v, &n, f->st, 100, T0), 0);
	if (n > 0 && first != NULL) {
		*first = v[0];
		ps_event_init(&v[0]);
	}
	ps_events_free(v, n);
	return n;
}

static const char order_body[] =
	"{\"scope\":\"store/order/created\",\"store_id\":\"1000001\","
	"\"data\":{\"type\":\"order\",\"id\":250},\"hash\":\"abc\","
	"\"created_at\":1561479335,\"producer\":\"stores/sandbox\"}";

static void
test_vectors(void **state)
{
	static const char hmac2[] = "5bdcc146bf60754e6a042426089575c7"
				    "5a003f089d2739839dec58b964ec3843";
	unsigned char out[32];
	const void *parts[2] = {"what do ya want ", "for nothing?"};
	size_t lens[2] = {16, 12};
	char hex[65], b64[64];
	size_t i;

	(void)state;
	ps_crypto__sha256(out, "abc", 3);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", out[i]);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
				 "b00361a396177a9cb410ff61f20015ad");
	/* RFC 4231 test case 2, data given in two parts */
	ps_crypto__hmac_sha256(out, "Jefe", 4, parts, lens, 2);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", out[i]);
	assert_string_equal(hex, hmac2);
	assert_int_equal(ps_crypto__base64_encode(b64, sizeof(b64),
						  (const unsigned char *)"ab",
						  2),
			 4);
	assert_string_equal(b64, "YWI=");
	assert_int_equal(ps_crypto__secure_equal("abc", 3, "abc", 3), 1);
	assert_int_equal(ps_crypto__secure_equal("abd", 3, "abc", 3), 0);
	assert_int_equal(ps_crypto__secure_equal("ab", 2, "abc", 3), 0);
	assert_int_equal(ps_crypto__secure_equal("", 0, "abc", 3), 0);
}

static void
test_bc_valid_stored(void **state)
{
	struct fixture *f = *state;
	const char *const good[] = {"X-Pearlsync-Secret: " SECRET, NULL};
	ps_event ev;

	set_secret(f);
	assert_int_equal(post(f, "/webhooks/bigcommerce", good, order_body),
			 200);
	ps_event_init(&ev);
	assert_int_equal(take_events(f, &ev), 1);
	assert_int_equal(ev.platform, PS_PLATFORM_BIGCOMMERCE);
	assert_string_equal(ev.topic, "store/order/created");
	assert_string_equal(ev.payload, order_body);
	assert_int_equal(ev.received_at, T0);
	ps_event_dispose(&ev);
}

static void
test_bc_refused(void **state)
{
	struct fixture *f = *state;
	const char *const good[] = {"X-Pearlsync-Secret: " SECRET, NULL};
	const char *const wrong[] = {"X-Pearlsync-Secret: " SECRET "x", NULL};
	const char *const shorter[] = {"X-Pearlsync-Secret: s3cret", NULL};
	char *big;
	size_t n = PS_WORKER__MAX_BODY + 1024;

	/* no secret configured: nothing can be checked, nothing taken */
	assert_int_equal(post(f, "/webhooks/bigcommerce", good, order_body),
			 401);
	set_secret(f);
	assert_int_equal(post(f, "/webhooks/bigcommerce", wrong, order_body),
			 401);
	assert_int_equal(post(f, "/webhooks/bigcommerce", shorter, order_body),
			 401);
	assert_int_equal(post(f, "/webhooks/bigcommerce", NULL, order_body),
			 401);
	assert_int_equal(post(f, "/webhooks/bigcommerce", good, "{\"scope\":"),
			 400);
	assert_int_equal(post(f, "/webhooks/bigcommerce", good,
			      "{\"scope\":\"store/product/created\","
			      "\"data\":{\"type\":\"product\",\"id\":1}}"),
			 400);
	assert_int_equal(post(f, "/webhooks/bigcommerce", good,
			      "{\"scope\":\"store/order/created\","
			      "\"data\":{\"type\":\"order\"}}"),
			 400);
	assert_int_equal(post(f, "/webhooks/other", good, order_body), 404);
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, ' ', n);
	big[0] = '{';
	memcpy(big + n - 1, "}", 2);
	assert_int_equal(post(f, "/webhooks/bigcommerce", good, big), 413);
	free(big);
	assert_int_equal(take_events(f, NULL), 0);
	/* still serving after all that */
	assert_int_equal(post(f, "/webhooks/bigcommerce", good, order_body),
			 200);
	assert_int_equal(take_events(f, NULL), 1);
}

/* data.id must be a positive integer: anything else is refused, so the
 * platform sees the failure instead of a 200 for a callback then dropped */
static void
test_bc_order_id_refused(void **state)
{
	struct fixture *f = *state;
	const char *const good[] = {"X-Pearlsync-Secret: " SECRET, NULL};
	static const char *const ids[] = {"\"250\"", "0",    "-3",
					  "2.5",     "null", "{}"};
	char body[256];
	size_t i;

	set_secret(f);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(body, sizeof(body),
			 "{\"scope\":\"store/order/created\",\"data\":"
			 "{\"type\":\"order\",\"id\":%s}}",
			 ids[i]);
		if (post(f, "/webhooks/bigcommerce", good, body) != 400)
			fail_msg("data.id %s was not refused with 400", ids[i]);
	}
	assert_int_equal(take_events(f, NULL), 0);
	assert_int_equal(post(f, "/webhooks/bigcommerce", good, order_body),
			 200);
	assert_int_equal(take_events(f, NULL), 1);
}

/* Raw request headers for /webhooks/bigcommerce with the secret, then
 * extra header lines (each ending "\r\n"). */
static int
raw_post(struct fixture *f, const char *extra)
{
	char head[512];
	int fd, n;

	fd = raw_conn_open("127.0.0.1", ps_worker_listen_port(f->w));
	assert_true(fd >= 0);
	n = snprintf(head, sizeof(head),
		     "POST /webhooks/bigcommerce HTTP/1.1\r\n"
		     "Host: 127.0.0.1\r\n"
		     "X-Pearlsync-Secret: " SECRET "\r\n"
		     "Content-Type: application/json\r\n%s\r\n",
		     extra);
	assert_int_equal(raw_conn_send(fd, head, (size_t)n), 0);
	return fd;
}

/* A body announced over the cap is answered at once, before any of it is
 * sent (the old listener waited for it until its 30 s timeout). */
static void
test_body_cap_announced(void **state)
{
	struct fixture *f = *state;
	char buf[512];
	int fd;

	set_secret(f);
	fd = raw_post(f, "Content-Length: 1000000000\r\n");
	assert_true(raw_conn_wait(fd, buf, sizeof(buf), 2000) > 0);
	assert_int_equal(raw_conn_status(buf), 413);
	close(fd);
	fd = raw_post(f, "Content-Length: 99999999999999999999999\r\n");
	assert_true(raw_conn_wait(fd, buf, sizeof(buf), 2000) >= 0);
	assert_int_not_equal(raw_conn_status(buf), 200);
	close(fd);
	assert_int_equal(take_events(f, NULL), 0);
}

/* A chunked body is counted as it arrives: a chunk announced as
 * ffffffffffffffff bytes is cut at the cap, not read to its end. */
static void
test_body_cap_chunked(void **state)
{
	struct fixture *f = *state;
	size_t n = PS_WORKER__MAX_BODY + 64 * 1024;
	char buf[512], *junk;
	long got;
	int fd;

	set_secret(f);
	fd = raw_post(f, "Transfer-Encoding: chunked\r\n");
	assert_int_equal(raw_conn_send(fd, "ffffffffffffffff\r\n", 18), 0);
	junk = malloc(n);
	assert_non_null(junk);
	memset(junk, ' ', n);
	(void)raw_conn_send(fd, junk, n); /* cut short when it closes */
	free(junk);
	/* closed at the cap, not left waiting for the rest */
	got = raw_conn_wait(fd, buf, sizeof(buf), 2000);
	assert_true(got >= 0);
	assert_int_not_equal(raw_conn_status(buf), 200);
	close(fd);
	assert_int_equal(take_events(f, NULL), 0);
	assert_int_equal(
		post(f, "/webhooks/bigcommerce",
		     (const char *const[]){"X-Pearlsync-Secret: " SECRET, NULL},
		     order_body),
		200);
}

static void
test_bc_get_refused(void **state)
{
	struct fixture *f = *state;
	sandbox_reply r;
	char url[256];

	snprintf(url, sizeof(url), "%s/webhooks/bigcommerce", f->url);
	assert_int_equal(sandbox_http(&r, "GET", url, NULL, NULL, NULL), 405);
	sandbox_reply_dispose(&r);
}

static void
test_brightpearl_path_secret(void **state)
{
	struct fixture *f = *state;
	const char body[] = "{\"accountCode\":\"acme\",\"resourceType\":"
			    "\"order\",\"id\":\"5906\",\"lifecycleEvent\":"
			    "\"modified\",\"fullEvent\":"
			    "\"order.modified.order-status\"}";
	ps_event ev;

	set_secret(f);
	assert_int_equal(post(f,
			      "/webhooks/brightpearl/" SECRET
			      "/order.modified.order-status",
			      NULL, body),
			 200);
	assert_int_equal(post(f, "/webhooks/brightpearl/" SECRET, NULL, body),
			 200);
	assert_int_equal(post(f, "/webhooks/brightpearl/wrong/order.modified",
			      NULL, body),
			 401);
	assert_int_equal(
		post(f, "/webhooks/brightpearl/" SECRET "/x", NULL, "not json"),
		400);
	ps_event_init(&ev);
	assert_int_equal(take_events(f, &ev), 2);
	assert_int_equal(ev.platform, PS_PLATFORM_BRIGHTPEARL);
	assert_string_equal(ev.topic, "order.modified.order-status");
	assert_string_equal(ev.payload, body);
	ps_event_dispose(&ev);
}

/* Standard Webhooks headers for body, signed with key at time ts. */
static void
sign(char *sig_hdr, size_t cap, const char *key, const char *id, const char *ts,
     const char *body)
{
	unsigned char mac[32];
	const void *parts[5] = {id, ".", ts, ".", body};
	size_t lens[5] = {strlen(id), 1, strlen(ts), 1, strlen(body)};
	char b64[64];

	ps_crypto__hmac_sha256(mac, key, strlen(key), parts, lens, 5);
	assert_true(ps_crypto__base64_encode(b64, sizeof(b64), mac, 32) > 0);
	snprintf(sig_hdr, cap, "webhook-signature: v1,bm90IHRoaXMgb25l v1,%s",
		 b64);
}

static void
test_signature(void **state)
{
	struct fixture *f = *state;
	char sig[256], badsig[256], ts[32], old[32], url[128];
	const char *hdrs[5];

	set_secret(f);
	assert_int_equal(ps_store_setting_set(NULL, f->st,
					      "bigcommerce.client_secret",
					      "client-secret-x", "test", T0),
			 0);
	assert_int_equal(ps_worker__listener_start(&f->l, f->cfg.db_path,
						   "127.0.0.1", 0, &fake_clock),
			 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d",
		 ps_worker__listener_port(f->l));
	snprintf(f->url, sizeof(f->url), "%s", url);
	snprintf(ts, sizeof(ts), "%lld", (long long)(T0 / 1000));
	snprintf(old, sizeof(old), "%lld", (long long)(T0 / 1000 - 3600));
	hdrs[0] = "X-Pearlsync-Secret: " SECRET;
	hdrs[1] = "webhook-id: msg_1";
	hdrs[2] = sig;
	hdrs[4] = NULL;

	sign(sig, sizeof(sig), "client-secret-x", "msg_1", ts, order_body);
	snprintf(badsig, sizeof(badsig), "webhook-timestamp: %s", ts);
	hdrs[3] = badsig;
	assert_int_equal(post(f, "/webhooks/bigcommerce", hdrs, order_body),
			 200);
	/* a body changed in transit */
	assert_int_equal(post(f, "/webhooks/bigcommerce", hdrs,
			      "{\"scope\":\"store/order/created\",\"data\":"
			      "{\"type\":\"order\",\"id\":251}}"),
			 401);
	/* the wrong key */
	sign(sig, sizeof(sig), "another-secret", "msg_1", ts, order_body);
	assert_int_equal(post(f, "/webhooks/bigcommerce", hdrs, order_body),
			 401);
	/* an old timestamp, correctly signed: a replay */
	sign(sig, sizeof(sig), "client-secret-x", "msg_1", old, order_body);
	snprintf(badsig, sizeof(badsig), "webhook-timestamp: %s", old);
	assert_int_equal(post(f, "/webhooks/bigcommerce", hdrs, order_body),
			 401);
	/* a signature without its id and timestamp */
	hdrs[1] = sig;
	hdrs[2] = NULL;
	assert_int_equal(post(f, "/webhooks/bigcommerce", hdrs, order_body),
			 401);
	assert_int_equal(take_events(f, NULL), 1);
}

/*
 * ShipHero: the HMAC of the raw body in X-ShipHero-HMAC-SHA256, and the
 * JSON success body ShipHero expects; a forged body is refused with 401
 * and nothing is stored.
 */
static void
test_shiphero_hmac_and_success_body(void **state)
{
	struct fixture *f = *state;
	static const char body[] =
		"{\"test\":\"0\",\"webhook_type\":\"Shipment Update\","
		"\"fulfillment\":{\"shipment_id\":315518042,"
		"\"partner_order_id\":\"GON-7\"}}";
	const char *const good[] = {
		"X-ShipHero-HMAC-SHA256: "
		"gLmofiIKKoUnFbn5onY4kT6z08ARj9CVSDPQevf6F/Q=",
		NULL};
	char url[256], type[64];
	sandbox_reply r;
	ps_event ev;

	assert_int_equal(ps_store_setting_set(NULL, f->st,
					      "shiphero.webhook_secret",
					      "whsec-SECRET", "test", T0),
			 0);
	assert_int_equal(post(f, "/webhooks/shiphero", good,
			      "{\"test\":\"0\",\"webhook_type\":"
			      "\"Shipment Update\",\"fulfillment\":{"
			      "\"shipment_id\":315518043}}"),
			 401);
	assert_int_equal(post(f, "/webhooks/shiphero", NULL, body), 401);
	assert_int_equal(take_events(f, NULL), 0);
	snprintf(url, sizeof(url), "%s/webhooks/shiphero", f->url);
	assert_int_equal(sandbox_http(&r, "POST", url, good, body, NULL), 200);
	assert_string_equal(r.body,
			    "{\"code\":\"200\",\"Status\":\"Success\"}");
	assert_non_null(
		sandbox_reply_header(&r, "Content-Type", type, sizeof(type)));
	assert_string_equal(type, "application/json");
	sandbox_reply_dispose(&r);
	ps_event_init(&ev);
	assert_int_equal(take_events(f, &ev), 1);
	assert_int_equal(ev.platform, PS_PLATFORM_SHIPHERO);
	assert_string_equal(ev.topic, "Shipment Update");
	ps_event_dispose(&ev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test_setup_teardown(test_bc_valid_stored, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bc_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bc_order_id_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_body_cap_announced, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_body_cap_chunked, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bc_get_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_brightpearl_path_secret,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_signature, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_shiphero_hmac_and_success_body, setup, teardown),
	};

	ps_lib_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
