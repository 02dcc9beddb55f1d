/*
 * test_orders_flow.c - the BigCommerce order import end to end against
 * pearlsync-sandbox, driving the flow's operations (on_event, poll,
 * perform) the way the worker does: entries claimed in flight in a
 * committed transaction, results recorded, failures classified.
 *
 * Orders are placed through the sandbox's BigCommerce control API and
 * the outcome is read back from its Brightpearl state: exactly the
 * expected sales orders (one per externalRef, totals to the cent),
 * contacts, payments and notes, and the expected log entries.  Covered:
 * the webhook path with duplicate deliveries, the poll path with every
 * webhook lost, edits after import (status, notes), an import interrupted
 * after the create (adopted, not repeated), and 30% of Brightpearl replies
 * faulted.  Batched (perform_batch): mixed orders, a lost batch
 * recovered, faults without duplicate contacts, and the contact
 * directory: fifty orders whose customers are found or created through
 * multi-messages, a contact added in Brightpearl later, the directory
 * kept across a restart and read incrementally, and one customer that
 * Brightpearl refuses failing only its own orders.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/flow.h"
#include "pearlsync/http.h"
#include "pearlsync/log.h"
#include "pearlsync/platform.h"
#include "pearlsync/store.h"
#include "sandbox_proc.h"
#include "test_db.h"

#define INSTANCE 7

static sandbox_proc sb;

typedef struct ctx {
	test_db db;
	ps_store *st; /* db.st */
	ps_http *http;
	ps_bp *bp;
	ps_bc *bc;
	ps_flow_env env;
	const ps_flow_ops *flow;
	int64_t now;
	int created_seq;
} ctx;

/* ---- sandbox helpers ---------------------------------------------------- */

static json_t *
sb_call(const char *method, const char *path, const char *body)
{
	sandbox_reply r;
	char url[512];
	long status;
	json_t *j;

	snprintf(url, sizeof(url), "%s%s", sb.base, path);
	status = sandbox_http(&r, method, url, NULL, body, NULL);
	if (status < 200 || status > 299)
		fprintf(stderr, "%s %s -> %ld %s\n", method, path, status,
			r.body ? r.body : "");
	assert_true(status >= 200 && status <= 299);
	j = json_loadb(r.body ? r.body : "null", r.body ? r.body_len : 4,
		       JSON_DECODE_ANY, NULL);
	sandbox_reply_dispose(&r);
	return j;
}

static void
sb_post(const char *path, const char *body)
{
	json_decref(sb_call("POST", path, body));
}

/* The Brightpearl state: {"orders":{...},"contacts":...}. */
static json_t *
bp_state(void)
{
	return sb_call("GET", "/_sandbox/brightpearl/state", NULL);
}

static ps_money
money_of(json_t *v)
{
	ps_money m = 0;

	if (json_is_string(v))
		assert_int_equal(ps_money_parse(&m, json_string_value(v)), 0);
	else if (json_is_number(v))
		m = (ps_money)(json_number_value(v) * PS_MONEY_SCALE +
			       (json_number_value(v) >= 0 ? 0.5 : -0.5));
	return m;
}

/* Count Brightpearl orders per externalRef; fail on any duplicate.
 * *out_total receives the row total of the order with ref want (if any). */
static size_t
bp_orders_check(json_t *state, const char *want, ps_money *out_total,
		int64_t *out_status)
{
	json_t *orders = json_object_get(state, "orders"), *o, *seen;
	const char *k;
	size_t n = 0;

	seen = json_object();
	json_object_foreach (orders, k, o) {
		const char *ext =
			json_string_value(json_object_get(o, "externalRef"));
		json_t *row;
		size_t i;

		if (ext == NULL)
			continue;
		if (json_object_get(seen, ext) != NULL)
			fail_msg("two Brightpearl orders for externalRef %s",
				 ext);
		json_object_set_new(seen, ext, json_true());
		n++;
		if (want != NULL && strcmp(ext, want) == 0) {
			ps_money t = 0;

			json_array_foreach (json_object_get(o, "rows"), i, row)
				t += money_of(json_object_get(row, "net")) +
				     money_of(json_object_get(row, "tax"));
			if (out_total)
				*out_total = t;
			if (out_status)
				*out_status = json_integer_value(
					json_object_get(o, "statusId"));
		}
	}
	json_decref(seen);
	return n;
}

/* ---- store and flow ----------------------------------------------------- */

static void
set(ctx *c, const char *key, const char *value)
{
	assert_int_equal(
		ps_store_setting_set(NULL, c->st, key, value, "test", c->now),
		0);
}

static void
map(ctx *c, const char *kind, const char *source, const char *target)
{
	ps_mapping m = {kind, "bc>bp", source, target};

	assert_int_equal(ps_store_mapping_set(NULL, c->st, &m, "test", c->now),
			 0);
}

static int
setup(void **state)
{
	ps_http_options ho = PS_HTTP_OPTIONS_INIT;
	ps_bp_options bo = PS_BP_OPTIONS_INIT;
	ps_bc_options co = PS_BC_OPTIONS_INIT;
	ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	sb_post("/_sandbox/reset", "{\"seed\":\"demo\"}");
	assert_int_equal(test_db_open(&c->db, "orders"), 0);
	c->st = c->db.st;
	c->now = 1700000000000;
	ho.max_attempts = 12;
	ho.backoff_base_ms = 2;
	ho.backoff_cap_ms = 20;
	ho.max_wait_ms = 50;
	ho.connect_timeout_ms = 2000;
	ho.total_timeout_ms = 5000;
	assert_int_equal(ps_http_new(&c->http, &ho), 0);
	bo.base_url = sandbox_proc_url(&sb, "brightpearl");
	bo.account = "sandbox";
	bo.app_ref = "sandbox_pearlsync";
	bo.token = "sandbox-token";
	bo.instance_id = INSTANCE;
	assert_int_equal(ps_bp_new(&c->bp, c->http, &bo), 0);
	co.base_url = sandbox_proc_url(&sb, "bigcommerce");
	co.store_hash = "sandbox";
	co.access_token = "sandbox-token";
	assert_int_equal(ps_bc_new(&c->bc, c->http, &co), 0);

	set(c, "bigcommerce.orders.enabled", "true");
	set(c, "bigcommerce.orders.import_statuses", "11,7,12");
	set(c, "bigcommerce.defaults.warehouse_id", "2");
	set(c, "bigcommerce.defaults.tax_code", "T");
	set(c, "bigcommerce.defaults.channel_id", "1");
	set(c, "bigcommerce.payments.enabled", "true");
	set(c, "brightpearl.installed_integration_instance_id", "7");
	set(c, "brightpearl.account", "sandbox");
	map(c, "order_status", "11", "2");
	map(c, "order_status", "7", "6");
	map(c, "order_status", "10", "8");
	map(c, "payment_method", NULL, "BIGCOMMERCE");
	map(c, "shipping_method", NULL, "6");

	c->flow = ps_flow_find("orders");
	assert_non_null(c->flow);
	c->env.store = c->st;
	c->env.conn[PS_PLATFORM_BRIGHTPEARL] = c->bp;
	c->env.conn[PS_PLATFORM_BIGCOMMERCE] = c->bc;
	c->env.now = c->now;
	assert_int_equal(c->flow->init(&c->env.state, &c->env), 0);
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	ctx *c = *state;

	sb_post("/_sandbox/faults", "{\"platform\":\"*\",\"rate\":0}");
	c->flow->fini(c->env.state);
	ps_bc_free(c->bc);
	ps_bp_free(c->bp);
	ps_http_free(c->http);
	test_db_close(&c->db);
	free(c);
	return 0;
}

/* The worker's part: claim due entries, perform, record the outcome. */
static void
run_due(ctx *c, int max_rounds)
{
	int round;

	for (round = 0; round < max_rounds; round++) {
		ps_log_entry *es = NULL;
		size_t n = 0, i;

		c->now += 1000;
		c->env.now = c->now;
		assert_int_equal(ps_store_log_claim_due(&es, &n, c->st,
							c->flow->name, 50,
							c->now),
				 0);
		if (n == 0)
			return;
		for (i = 0; i < n; i++) {
			ps_flow_result res = PS_FLOW_RESULT_INIT;
			int error = c->flow->perform(&c->env, &es[i], &res);

			if (error == 0) {
				assert_int_equal(ps_store_log_mark_synced_warn(
							 c->st, es[i].id,
							 res.target_id,
							 res.detail,
							 res.warning, c->now),
						 0);
			} else if (ps_flow_classify(error) == PS_FLOW_RETRY) {
				assert_int_equal(ps_store_log_mark_failed(
							 c->st, es[i].id,
							 ps_error_last(), error,
							 c->now + 1, c->now),
						 0);
			} else if (ps_flow_classify(error) ==
				   PS_FLOW_WAIT_SETTING) {
				assert_int_equal(ps_store_log_mark_pending(
							 c->st, es[i].id,
							 ps_error_last(), 0,
							 c->now),
						 0);
			} else {
				assert_int_equal(ps_store_log_mark_failed(
							 c->st, es[i].id,
							 ps_error_last(), error,
							 0, c->now),
						 0);
			}
			ps_flow_result_dispose(&res);
		}
		ps_log_entries_free(es, n);
	}
}

/* Record one outcome the way the worker does (reason: the detail of a
 * batched failure, else the last error). */
static void
record(ctx *c, const ps_log_entry *e, int error, const ps_flow_result *res)
{
	const char *why =
		error < 0 && res->detail ? res->detail : ps_error_last();

	if (error == 0) {
		assert_int_equal(ps_store_log_mark_synced_warn(
					 c->st, e->id, res->target_id,
					 res->detail, res->warning, c->now),
				 0);
	} else if (ps_flow_classify(error) == PS_FLOW_RETRY) {
		assert_int_equal(ps_store_log_mark_failed(c->st, e->id, why,
							  error, c->now + 1,
							  c->now),
				 0);
	} else if (ps_flow_classify(error) == PS_FLOW_WAIT_SETTING) {
		assert_int_equal(
			ps_store_log_mark_pending(c->st, e->id, why, 0, c->now),
			0);
	} else {
		assert_int_equal(ps_store_log_mark_failed(c->st, e->id, why,
							  error, 0, c->now),
				 0);
	}
}

/* The worker's batched part: due entries through perform_batch, ten at a
 * time, each outcome recorded on its own. */
static void
run_due_batched(ctx *c, int max_rounds)
{
	int round;

	assert_non_null(c->flow->perform_batch);
	for (round = 0; round < max_rounds; round++) {
		ps_log_entry *es = NULL;
		size_t n = 0, i, k, j;

		c->now += 1000;
		c->env.now = c->now;
		assert_int_equal(ps_store_log_claim_due(&es, &n, c->st,
							c->flow->name, 50,
							c->now),
				 0);
		if (n == 0)
			return;
		for (i = 0; i < n; i += k) {
			ps_flow_result res[PS_FLOW_BATCH_MAX];
			int codes[PS_FLOW_BATCH_MAX];

			k = n - i < PS_FLOW_BATCH_MAX ? n - i
						      : PS_FLOW_BATCH_MAX;
			memset(res, 0, sizeof(res));
			assert_int_equal(c->flow->perform_batch(&c->env, &es[i],
								k, res, codes),
					 0);
			for (j = 0; j < k; j++) {
				record(c, &es[i + j], codes[j], &res[j]);
				ps_flow_result_dispose(&res[j]);
			}
		}
		ps_log_entries_free(es, n);
	}
}

/* The Brightpearl requests the sandbox has counted. */
static long long
bp_requests(void)
{
	json_t *r = sb_call("GET", "/_sandbox/requests", NULL);
	long long n = json_integer_value(
		json_object_get(json_object_get(r, "brightpearl"), "total"));

	json_decref(r);
	return n;
}

static void
deliver(ctx *c, const char *topic, int64_t id, const char *extra)
{
	const ps_platform_ops *bc = ps_platform_ops_of(PS_PLATFORM_BIGCOMMERCE);
	ps_webhook_event d;
	ps_event ev;
	char payload[512];

	ps_event_init(&ev);
	snprintf(
		payload, sizeof(payload),
		"{\"scope\":\"%s\",\"data\":{\"type\":\"order\",\"id\":%lld%s},"
		"\"created_at\":%d}",
		topic, (long long)id, extra ? extra : "", ++c->created_seq);
	/* as the listener stores it: decoded by the plug-in */
	assert_non_null(bc);
	assert_int_equal(bc->webhook_decode(&d, NULL, payload, strlen(payload)),
			 0);
	ev.id = c->created_seq;
	ev.platform = PS_PLATFORM_BIGCOMMERCE;
	ev.topic = d.topic;
	ev.object = d.object;
	ev.ids = d.ids;
	ev.nids = d.nids;
	ev.payload = payload;
	assert_int_equal(ps_store_begin(c->st), 0);
	assert_int_equal(c->flow->on_event(&c->env, &ev), 0);
	assert_int_equal(ps_store_commit(c->st), 0);
}

/* ---- placing orders ----------------------------------------------------- */

typedef struct placed {
	int64_t id;
	ps_money total;
	int expect_order;   /* a Brightpearl order must exist */
	int expect_payment; /* a captured payment */
	int notes;          /* notes expected on the order */
	int expect_fail;    /* PS_E* the entry fails with, or 0 */
	int filtered;
} placed;

/* Place the order body at the sandbox: its id and total into p. */
static void
place_body(placed *p, const char *body)
{
	json_t *r = sb_call("POST", "/_sandbox/bigcommerce/orders", body);
	json_t *o = json_object_get(r, "order");

	p->id = json_integer_value(json_object_get(o, "id"));
	assert_int_equal(
		ps_money_parse(&p->total, json_string_value(json_object_get(
						  o, "total_inc_tax"))),
		0);
	json_decref(r);
}

/* Order i of a mixed batch; tag makes new customers' emails unique. */
static placed
place_mixed(int i, const char *tag)
{
	char body[2048], cust[256], lines[512], extra[512];
	const char *email = "";
	int kind = i % 10, status = 11;
	placed p;

	memset(&p, 0, sizeof(p));
	p.expect_order = 1;
	cust[0] = extra[0] = '\0';
	snprintf(lines, sizeof(lines),
		 "[{\"sku\":\"TEE-RED-M\",\"quantity\":%d}]", 1 + i % 3);
	switch (kind) {
	case 0: /* guest, captured */
		snprintf(extra, sizeof(extra),
			 ",\"payment\":{\"gateway\":\"stripe\",\"captured\":"
			 "true}");
		p.expect_payment = 1;
		break;
	case 1: /* new customer, multi-line, coupon, authorised only */
		snprintf(lines, sizeof(lines),
			 "[{\"sku\":\"MUG-LOGO\",\"quantity\":2},{\"sku\":"
			 "\"CAP-BLK\",\"quantity\":1},{\"sku\":\"SOCK-3PK\","
			 "\"quantity\":3}]");
		snprintf(extra, sizeof(extra),
			 ",\"coupon\":{\"code\":\"TEN\",\"amount\":\"3.33\"},"
			 "\"payment\":{\"gateway\":\"stripe\",\"captured\":"
			 "false},\"tax_rate\":\"0.0825\"");
		break;
	case 2: /* returning customer (in Brightpearl already), notes */
		email = "ada@example.com";
		snprintf(extra, sizeof(extra),
			 ",\"customer_message\":\"Ring twice %d\","
			 "\"staff_notes\":\"Checked %d\"",
			 i, i);
		p.notes = 2;
		break;
	case 3: /* the same new customer every time */
		email = "returning@example.com";
		break;
	case 4: /* tax inclusive, other currency, order discount */
		snprintf(extra, sizeof(extra),
			 ",\"prices_include_tax\":true,\"tax_rate\":\"0.2\","
			 "\"currency\":\"GBP\",\"discount_amount\":\"1.50\"");
		break;
	case 5: /* awaiting payment: mapped to another status */
		status = 7;
		break;
	case 6: /* multi-line with shipping and tax, captured */
		snprintf(lines, sizeof(lines),
			 "[{\"sku\":\"HOOD-GRY-M\",\"quantity\":1},{\"sku\":"
			 "\"BAG-TOTE\",\"quantity\":2}]");
		snprintf(extra, sizeof(extra),
			 ",\"shipping_cost\":\"7.95\",\"tax_rate\":\"0.07\","
			 "\"payment\":{\"gateway\":\"paypal\",\"captured\":"
			 "true}");
		p.expect_payment = 1;
		break;
	case 9:
		if (i % 30 == 9) { /* unknown SKU */
			snprintf(lines, sizeof(lines),
				 "[{\"sku\":\"NOT-IN-BP-%d\",\"quantity\":1,"
				 "\"price\":\"4.00\",\"name\":\"Odd\"}]",
				 i);
			p.expect_order = 0;
			p.expect_fail = PS_EDATA;
		} else if (i % 30 == 19) { /* imported status, unmapped */
			status = 12;
			p.expect_order = 0;
			p.expect_fail = PS_EMAPPING;
		} else { /* a status that is not imported */
			status = 1;
			p.expect_order = 0;
			p.filtered = 1;
		}
		break;
	default:
		break;
	}
	if (kind == 1 || kind == 7 || kind == 8) {
		static char buf[64];

		snprintf(buf, sizeof(buf), "new-%s-%d@example.com", tag, i);
		email = buf;
	}
	if (email[0] != '\0')
		snprintf(cust, sizeof(cust),
			 ",\"customer\":{\"email\":\"%s\",\"first_name\":"
			 "\"Cu\",\"last_name\":\"St%d\"}",
			 email, i);
	snprintf(body, sizeof(body),
		 "{\"billing_address\":{\"first_name\":\"Cu\",\"last_name\":"
		 "\"St%d\",\"email\":\"%s\",\"street_1\":\"%d Main St\","
		 "\"city\":\"Town\",\"zip\":\"12345\",\"country_iso2\":\"US\"},"
		 "\"lines\":%s,\"status_id\":%d%s%s}",
		 i, email[0] ? email : "guest@example.com", i, lines, status,
		 cust, extra);
	if (email[0] == '\0') { /* guests get their own address */
		char g[64];

		snprintf(g, sizeof(g), "guest-%s-%d@example.com", tag, i);
		snprintf(body, sizeof(body),
			 "{\"billing_address\":{\"first_name\":\"Gu\","
			 "\"last_name\":\"Est\",\"email\":\"%s\",\"street_1\":"
			 "\"%d Side St\",\"city\":\"Town\",\"zip\":\"12345\","
			 "\"country_iso2\":\"US\"},\"lines\":%s,\"status_id\":"
			 "%d%s}",
			 g, i, lines, status, extra);
	}
	place_body(&p, body);
	return p;
}

static size_t
count_matching(json_t *obj, const char *field, int64_t value)
{
	json_t *v;
	const char *k;
	size_t n = 0;

	json_object_foreach (obj, k, v)
		if (json_integer_value(json_object_get(v, field)) == value)
			n++;
	return n;
}

/* Everything the batch promised, read back from Brightpearl and the log. */
static void
check_batch(ctx *c, const placed *ps, size_t n, size_t baseline)
{
	json_t *state = bp_state();
	json_t *payments = json_object_get(state, "payments");
	json_t *notes = json_object_get(state, "notes");
	size_t i, want_orders = 0;

	for (i = 0; i < n; i++) {
		ps_log_entry e;
		char key[64], ref[24];
		ps_money total = -1;

		snprintf(key, sizeof(key), "bc:order:%lld:import",
			 (long long)ps[i].id);
		snprintf(ref, sizeof(ref), "%lld", (long long)ps[i].id);
		bp_orders_check(state, ref, &total, NULL);
		if (ps[i].filtered) {
			/* no entry from the poll, a skipped one by webhook */
			if (ps_store_log_get_by_key(&e, c->st, key) == 0) {
				assert_int_equal(e.status, PS_ENTRY_SYNCED);
				assert_null(e.target_id);
				assert_non_null(strstr(e.detail, "skipped"));
				ps_log_entry_dispose(&e);
			}
			assert_int_equal(total, -1);
			continue;
		}
		assert_int_equal(ps_store_log_get_by_key(&e, c->st, key), 0);
		assert_string_equal(e.kind, "order.import");
		assert_string_equal(e.subject, ref);
		if (ps[i].expect_order) {
			int64_t bp_id;

			want_orders++;
			if (e.status != PS_ENTRY_SYNCED || e.target_id == NULL)
				fail_msg("order %lld: %s (%s) %s",
					 (long long)ps[i].id,
					 ps_entry_status_name(e.status),
					 e.reason ? e.reason : "",
					 e.detail ? e.detail : "");
			bp_id = strtoll(e.target_id, NULL, 10);
			assert_int_equal(total, ps[i].total);
			assert_int_equal(e.total, ps[i].total);
			assert_int_equal(
				count_matching(payments, "orderId", bp_id),
				ps[i].expect_payment);
			assert_int_equal(
				count_matching(notes, "orderId", bp_id),
				ps[i].notes);
		} else {
			assert_int_equal(e.status, PS_ENTRY_FAILED);
			assert_int_equal(e.error_code, ps[i].expect_fail);
			assert_int_equal(e.next_attempt_at, 0);
			assert_int_equal(total, -1);
			if (ps[i].expect_fail == PS_EDATA)
				assert_non_null(strstr(e.reason, "NOT-IN-BP"));
		}
		ps_log_entry_dispose(&e);
	}
	assert_int_equal(bp_orders_check(state, NULL, NULL, NULL),
			 want_orders + baseline);
	json_decref(state);
}

static size_t
contacts_with_email(const char *email)
{
	json_t *state = bp_state(), *v;
	const char *k;
	size_t n = 0;

	json_object_foreach (json_object_get(state, "contacts"), k, v) {
		const char *e = json_string_value(json_object_get(
			json_object_get(
				json_object_get(
					json_object_get(v, "communication"),
					"emails"),
				"PRI"),
			"email"));

		if (e && strcasecmp(e, email) == 0)
			n++;
	}
	json_decref(state);
	return n;
}

/* No two Brightpearl contacts share a primary email (any case). */
static void
assert_one_contact_per_email(void)
{
	json_t *state = bp_state(), *v, *seen = json_object();
	const char *k;

	json_object_foreach (json_object_get(state, "contacts"), k, v) {
		const char *e = json_string_value(json_object_get(
			json_object_get(
				json_object_get(
					json_object_get(v, "communication"),
					"emails"),
				"PRI"),
			"email"));
		char low[256];
		size_t i;

		if (e == NULL || e[0] == '\0')
			continue;
		for (i = 0; e[i] != '\0' && i + 1 < sizeof(low); i++)
			low[i] = (char)(e[i] >= 'A' && e[i] <= 'Z'
						? e[i] - 'A' + 'a'
						: e[i]);
		low[i] = '\0';
		if (json_object_get(seen, low) != NULL)
			fail_msg("two Brightpearl contacts with email %s", e);
		json_object_set_new(seen, low, json_true());
	}
	json_decref(seen);
	json_decref(state);
}

/* The id of the one Brightpearl contact with email, 0 if none. */
static int64_t
contact_id_with_email(json_t *state, const char *email)
{
	json_t *v;
	const char *k;
	int64_t id = 0;

	json_object_foreach (json_object_get(state, "contacts"), k, v) {
		const char *e = json_string_value(json_object_get(
			json_object_get(
				json_object_get(
					json_object_get(v, "communication"),
					"emails"),
				"PRI"),
			"email"));

		if (e && strcasecmp(e, email) == 0) {
			assert_int_equal(id, 0);
			id = json_integer_value(
				json_object_get(v, "contactId"));
		}
	}
	return id;
}

/* The customer contact id of the Brightpearl order with externalRef ref
 * (0 when there is no such order). */
static int64_t
order_customer_id(json_t *state, const char *ref)
{
	json_t *o;
	const char *k;

	json_object_foreach (json_object_get(state, "orders"), k, o) {
		const char *ext =
			json_string_value(json_object_get(o, "externalRef"));
		json_t *id;

		if (ext == NULL || strcmp(ext, ref) != 0)
			continue;
		id = json_object_get(json_object_get(o, "customer"), "id");
		if (id == NULL)
			id = json_object_get(o, "customerId");
		if (json_is_string(id))
			return strtoll(json_string_value(id), NULL, 10);
		return json_integer_value(id);
	}
	return 0;
}

/* The sandbox's counter of Brightpearl contact searches. */
#define SEARCH "GET /contact-service/contact-search"

/* How often the sandbox saw Brightpearl endpoint key ("GET /a/b"). */
/* The requests of one endpoint ("GET v2/orders") the sandbox counted for
 * platform ("brightpearl", "bigcommerce"). */
static long long
endpoint_count(const char *platform, const char *key)
{
	json_t *r = sb_call("GET", "/_sandbox/requests", NULL);
	long long n = json_integer_value(json_object_get(
		json_object_get(json_object_get(r, platform), "endpoints"),
		key));

	json_decref(r);
	return n;
}

static long long
bp_endpoint_count(const char *key)
{
	return endpoint_count("brightpearl", key);
}

/* Add Brightpearl contacts <prefix>-<i>@example.com for i in [from, to)
 * out of band (as the merchant would); the id of the first. */
static int64_t
bp_seed_contacts(const char *prefix, int from, int to, const char *first)
{
	size_t cap = (size_t)(to - from) * 128 + 64, len;
	char *body = malloc(cap);
	json_t *r;
	int64_t id;
	int i;

	assert_non_null(body);
	len = (size_t)snprintf(body, cap, "{\"customers\":[");
	for (i = from; i < to; i++) {
		char email[96];

		snprintf(email, sizeof(email), "%s-%d@example.com", prefix, i);
		len += (size_t)snprintf(body + len, cap - len,
					"%s{\"email\":\"%s\",\"firstName\":"
					"\"%s\",\"lastName\":\"St%d\"}",
					i == from ? "" : ",", email, first, i);
		assert_true(len < cap);
	}
	snprintf(body + len, cap - len, "]}");
	r = sb_call("POST", "/_sandbox/brightpearl/seed", body);
	free(body);
	id = json_integer_value(
		json_array_get(json_object_get(r, "customers"), 0));
	json_decref(r);
	assert_true(id > 0);
	return id;
}

/* A plain order (one TEE-RED-M) billed to email with the names given,
 * placed by a registered customer unless guest. */
static placed
place_for(const char *email, int guest, const char *first, int n)
{
	char body[1024], cust[256];
	placed p;

	memset(&p, 0, sizeof(p));
	p.expect_order = 1;
	cust[0] = '\0';
	if (!guest)
		snprintf(cust, sizeof(cust),
			 ",\"customer\":{\"email\":\"%s\",\"first_name\":"
			 "\"%s\",\"last_name\":\"St%d\"}",
			 email, first, n);
	snprintf(body, sizeof(body),
		 "{\"billing_address\":{\"first_name\":\"%s\",\"last_name\":"
		 "\"St%d\",\"email\":\"%s\",\"street_1\":\"%d Main St\","
		 "\"city\":\"Town\",\"zip\":\"12345\",\"country_iso2\":\"US\"},"
		 "\"lines\":[{\"sku\":\"TEE-RED-M\",\"quantity\":1}],"
		 "\"status_id\":11%s}",
		 first, n, email, n, cust);
	place_body(&p, body);
	return p;
}

/* Every order in ps (billed to emails[i]) went to the one Brightpearl
 * contact with that email. */
static void
check_customers(const placed *ps, char (*emails)[64], size_t n)
{
	json_t *state = bp_state();
	size_t i;

	for (i = 0; i < n; i++) {
		char ref[24];
		int64_t want = contact_id_with_email(state, emails[i]);

		snprintf(ref, sizeof(ref), "%lld", (long long)ps[i].id);
		if (want <= 0 || order_customer_id(state, ref) != want)
			fail_msg("order %s (%s): customer %lld, contact %lld",
				 ref, emails[i],
				 (long long)order_customer_id(state, ref),
				 (long long)want);
	}
	json_decref(state);
}

/* Import entries for the orders in ps by webhook. */
static void
deliver_all(ctx *c, const placed *ps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		deliver(c, "store/order/created", ps[i].id, NULL);
}

/* ---- tests -------------------------------------------------------------- */

static void
test_orders__webhook_path_hundred_mixed_orders(void **state)
{
	ctx *c = *state;
	placed ps[100];
	size_t i;

	for (i = 0; i < 100; i++)
		ps[i] = place_mixed((int)i, "w");
	for (i = 0; i < 100; i++) {
		deliver(c, "store/order/created", ps[i].id, NULL);
		if (i % 7 == 0) /* duplicate deliveries */
			deliver(c, "store/order/created", ps[i].id, NULL);
	}
	run_due(c, 20);
	check_batch(c, ps, 100, 0);
	assert_int_equal(contacts_with_email("ada@example.com"), 1);
	assert_int_equal(contacts_with_email("returning@example.com"), 1);
}

static void
test_orders__poll_path_every_webhook_lost_then_edits(void **state)
{
	ctx *c = *state;
	placed ps[30];
	ps_log_entry *es = NULL;
	ps_log_query q = PS_LOG_QUERY_INIT;
	size_t i, n = 0, before, base;
	int64_t status = 0, id = 0;
	ps_money total = 0;
	json_t *st;
	char ref[24], path[128];

	/* the demo store's own orders (100, 101 imported; 102 pending) */
	assert_int_equal(c->flow->poll(&c->env), 0);
	run_due(c, 5);
	st = bp_state();
	base = bp_orders_check(st, NULL, NULL, NULL);
	json_decref(st);
	assert_int_equal(base, 2);
	for (i = 0; i < 30; i++)
		ps[i] = place_mixed((int)i, "p");
	assert_int_equal(c->flow->poll(&c->env), 0);
	run_due(c, 20);
	check_batch(c, ps, 30, base);
	/* a second poll finds nothing new */
	q.limit = 1000;
	assert_int_equal(ps_store_log_list(&es, &n, c->st, &q), 0);
	ps_log_entries_free(es, n);
	before = n;
	assert_int_equal(c->flow->poll(&c->env), 0);
	assert_int_equal(ps_store_log_list(&es, &n, c->st, &q), 0);
	ps_log_entries_free(es, n);
	assert_int_equal(n, before);
	/* the filtered order had no entry at all */
	assert_int_equal(before, 29 + base);

	/* an edit: the merchant completes order ps[0] -> status 8 */
	id = ps[0].id;
	snprintf(path, sizeof(path), "/_sandbox/bigcommerce/orders/%lld/status",
		 (long long)id);
	sb_post(path, "{\"status_id\":10}");
	assert_int_equal(
		ps_bc_order_update_notes(c->bc, id, "Packed by Jo", NULL), 0);
	assert_int_equal(c->flow->poll(&c->env), 0);
	run_due(c, 5);
	st = bp_state();
	snprintf(ref, sizeof(ref), "%lld", (long long)id);
	assert_int_equal(bp_orders_check(st, NULL, NULL, NULL), 27 + base);
	bp_orders_check(st, ref, &total, &status);
	assert_int_equal(status, 8);
	json_decref(st);
	{
		ps_log_entry e;
		char key[64];

		snprintf(key, sizeof(key), "bc:order:%lld:status:10",
			 (long long)id);
		assert_int_equal(ps_store_log_get_by_key(&e, c->st, key), 0);
		assert_int_equal(e.status, PS_ENTRY_SYNCED);
		ps_log_entry_dispose(&e);
	}
	/* the filtered order moves into an imported status: imported now */
	for (i = 0; i < 30; i++)
		if (ps[i].filtered)
			break;
	assert_true(i < 30);
	snprintf(path, sizeof(path), "/_sandbox/bigcommerce/orders/%lld/status",
		 (long long)ps[i].id);
	sb_post(path, "{\"status_id\":11}");
	assert_int_equal(c->flow->poll(&c->env), 0);
	run_due(c, 5);
	st = bp_state();
	assert_int_equal(bp_orders_check(st, NULL, NULL, NULL), 28 + base);
	json_decref(st);
}

static void
test_orders__webhook_edit_and_interrupted_import(void **state)
{
	ctx *c = *state;
	placed p = place_mixed(2, "e"), g = place_mixed(0, "e");
	ps_log_entry *es = NULL, e;
	size_t n = 0;
	ps_flow_result res = PS_FLOW_RESULT_INIT;
	json_t *st;
	int64_t status = 0;
	char ref[24], path[128], key[64];

	/* interrupted: the create went through, the result was lost */
	deliver(c, "store/order/created", p.id, NULL);
	c->now += 1000;
	c->env.now = c->now;
	assert_int_equal(ps_store_log_claim_due(&es, &n, c->st, c->flow->name,
						10, c->now),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(c->flow->perform(&c->env, &es[0], &res), 0);
	ps_flow_result_dispose(&res);
	ps_log_entries_free(es, n);
	/* the worker died here; it restarts with an empty cache and no xref
	 * is trusted: drop the flow state and recover */
	c->flow->fini(c->env.state);
	assert_int_equal(c->flow->init(&c->env.state, &c->env), 0);
	assert_int_equal(ps_store_recover_interrupted(&n, c->st, c->now), 0);
	assert_int_equal(n, 1);
	run_due(c, 5);
	snprintf(key, sizeof(key), "bc:order:%lld:import", (long long)p.id);
	assert_int_equal(ps_store_log_get_by_key(&e, c->st, key), 0);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	assert_non_null(strstr(e.detail, "adopted"));
	ps_log_entry_dispose(&e);
	st = bp_state();
	assert_int_equal(bp_orders_check(st, NULL, NULL, NULL), 1);
	assert_int_equal(json_object_size(json_object_get(st, "notes")), 2);
	json_decref(st);

	/* a status change by webhook, delivered twice */
	snprintf(path, sizeof(path), "/_sandbox/bigcommerce/orders/%lld/status",
		 (long long)p.id);
	sb_post(path, "{\"status_id\":10}");
	deliver(c, "store/order/statusUpdated", p.id,
		",\"status\":{\"previous_status_id\":11,\"new_status_id\":10}");
	deliver(c, "store/order/statusUpdated", p.id,
		",\"status\":{\"previous_status_id\":11,\"new_status_id\":10}");
	deliver(c, "store/order/updated", p.id, NULL);
	run_due(c, 5);
	st = bp_state();
	snprintf(ref, sizeof(ref), "%lld", (long long)p.id);
	assert_int_equal(bp_orders_check(st, ref, NULL, &status), 1);
	assert_int_equal(status, 8);
	json_decref(st);

	/* a guest order whose status webhook arrives before its import */
	deliver(c, "store/order/statusUpdated", g.id,
		",\"status\":{\"previous_status_id\":1,\"new_status_id\":11}");
	run_due(c, 5);
	st = bp_state();
	assert_int_equal(bp_orders_check(st, NULL, NULL, NULL), 2);
	json_decref(st);
}

static void
test_orders__thirty_percent_faults(void **state)
{
	ctx *c = *state;
	placed ps[30];
	size_t i;

	for (i = 0; i < 30; i++)
		ps[i] = place_mixed((int)i, "f");
	sb_post("/_sandbox/faults",
		"{\"platform\":\"*\",\"rate\":0.3,\"seed\":99,\"kinds\":"
		"[\"429\",\"503\",\"500\",\"drop\",\"truncate\"]}");
	for (i = 0; i < 30; i++)
		deliver(c, "store/order/created", ps[i].id, NULL);
	run_due(c, 200);
	sb_post("/_sandbox/faults", "{\"platform\":\"*\",\"rate\":0}");
	check_batch(c, ps, 30, 0);
}

/* Thirty mixed orders through perform_batch: the unknown SKU and the
 * unmapped status fail alone, every other order is synced once, with
 * fewer Brightpearl requests than one at a time would take. */
static void
test_orders__batched_mixed_orders(void **state)
{
	ctx *c = *state;
	placed ps[30];
	size_t i;
	long long before, used;

	for (i = 0; i < 30; i++)
		ps[i] = place_mixed((int)i, "b");
	for (i = 0; i < 30; i++) {
		deliver(c, "store/order/created", ps[i].id, NULL);
		if (i % 5 == 0) /* duplicate deliveries */
			deliver(c, "store/order/created", ps[i].id, NULL);
	}
	c->env.backlog = 1;
	before = bp_requests();
	run_due_batched(c, 5);
	used = bp_requests() - before;
	check_batch(c, ps, 30, 0);
	assert_int_equal(contacts_with_email("ada@example.com"), 1);
	assert_int_equal(contacts_with_email("returning@example.com"), 1);
	/* 27 orders created: one at a time that is at least 27 creates plus
	 * a payment or reservation each */
	/* the 27 creates, their notes, payments and reservations and the
	 * new customers went in multi-messages of ten: none one at a time */
	{
		json_t *r = sb_call("GET", "/_sandbox/requests", NULL);
		json_t *ep = json_object_get(json_object_get(r, "brightpearl"),
					     "endpoints");
		json_int_t mm = json_integer_value(
			json_object_get(ep, "POST /multi-message"));
		const char *k;
		json_t *v;

		json_object_foreach (ep, k, v) {
			if (strstr(k, "POST /order-service") ||
			    strstr(k, "reservation") ||
			    strstr(k, "customer-payment") ||
			    strstr(k, "POST /contact-service"))
				fail_msg("%s sent directly %lld times", k,
					 (long long)json_integer_value(v));
		}
		/* orders 3, what follows them 3-4, the new customers'
		 * addresses and contacts 3 each */
		if (mm < 6 || mm > 16)
			fail_msg("%lld multi-messages", (long long)mm);
		json_decref(r);
	}
	if (used >= 27 * 4)
		fail_msg("%lld Brightpearl requests for 27 orders", used);
	{
		/* and the reservations were made, one per order */
		json_t *st = bp_state();

		assert_int_equal(
			json_object_size(json_object_get(st, "reservations")),
			27);
		json_decref(st);
	}
}

/* A batch whose results were lost (the worker killed after the creates):
 * recovery adopts every order by externalRef, nothing is duplicated. */
/* Orders the poll has just read (with their lines) are not read again by
 * the batch that imports them; once the copies are older than the limit
 * the batch reads the orders itself. */
static void
test_orders__batched_after_poll_reads_once(void **state)
{
	ctx *c = *state;
	placed ps[20];
	size_t i;

	/* the demo store's own orders first */
	assert_int_equal(c->flow->poll(&c->env), 0);
	run_due_batched(c, 5);
	for (i = 0; i < 10; i++)
		ps[i] = place_mixed((int)i, "s");
	c->now += 1000;
	c->env.now = c->now;
	sb_post("/_sandbox/requests/reset", "{}");
	assert_int_equal(c->flow->poll(&c->env), 0);
	assert_true(endpoint_count("bigcommerce", "GET v2/orders") >= 1);
	sb_post("/_sandbox/requests/reset", "{}");
	run_due_batched(c, 5);
	assert_int_equal(endpoint_count("bigcommerce", "GET v2/orders"), 0);
	assert_int_equal(endpoint_count("bigcommerce", "GET v2/orders/{id}"),
			 0);
	check_batch(c, ps, 10, 2);

	/* copies too old: read again, in one listing */
	for (i = 10; i < 20; i++)
		ps[i] = place_mixed((int)i, "s");
	c->now += 1000;
	c->env.now = c->now;
	assert_int_equal(c->flow->poll(&c->env), 0);
	c->now += 30000;
	sb_post("/_sandbox/requests/reset", "{}");
	run_due_batched(c, 5);
	assert_true(endpoint_count("bigcommerce", "GET v2/orders") >= 1);
	assert_int_equal(endpoint_count("bigcommerce", "GET v2/orders/{id}"),
			 0);
	check_batch(c, ps, 20, 2);
}

static void
test_orders__batched_interrupted_recovered(void **state)
{
	ctx *c = *state;
	placed ps[12];
	ps_log_entry *es = NULL;
	ps_flow_result res[10];
	int codes[10];
	size_t i, n = 0;

	for (i = 0; i < 12; i++)
		ps[i] = place_mixed((int)(i == 9 ? 39 : i), "i");
	for (i = 0; i < 12; i++)
		deliver(c, "store/order/created", ps[i].id, NULL);
	c->env.backlog = 1;
	c->now += 1000;
	c->env.now = c->now;
	assert_int_equal(ps_store_log_claim_due(&es, &n, c->st, c->flow->name,
						10, c->now),
			 0);
	assert_int_equal(n, 10);
	memset(res, 0, sizeof(res));
	assert_int_equal(c->flow->perform_batch(&c->env, es, n, res, codes), 0);
	for (i = 0; i < n; i++)
		ps_flow_result_dispose(&res[i]);
	ps_log_entries_free(es, n);
	/* killed before recording: a fresh start with empty caches */
	c->flow->fini(c->env.state);
	assert_int_equal(c->flow->init(&c->env.state, &c->env), 0);
	assert_int_equal(ps_store_recover_interrupted(&n, c->st, c->now), 0);
	assert_int_equal(n, 10);
	run_due_batched(c, 5);
	check_batch(c, ps, 12, 0);
	for (i = 0; i < 10; i++) {
		ps_log_entry e;
		char key[64];

		if (!ps[i].expect_order)
			continue;
		snprintf(key, sizeof(key), "bc:order:%lld:import",
			 (long long)ps[i].id);
		assert_int_equal(ps_store_log_get_by_key(&e, c->st, key), 0);
		assert_non_null(strstr(e.detail, "adopted"));
		ps_log_entry_dispose(&e);
	}
	/* check_batch counted one payment and the notes once per order */
}

/* Batches under 30% faulted replies: still exactly once. */
static void
test_orders__batched_thirty_percent_faults(void **state)
{
	ctx *c = *state;
	placed ps[30];
	size_t i;

	for (i = 0; i < 30; i++)
		ps[i] = place_mixed((int)i, "bf");
	sb_post("/_sandbox/faults",
		"{\"platform\":\"*\",\"rate\":0.3,\"seed\":7,\"kinds\":"
		"[\"429\",\"503\",\"500\",\"drop\",\"truncate\"]}");
	for (i = 0; i < 30; i++)
		deliver(c, "store/order/created", ps[i].id, NULL);
	c->env.backlog = 1;
	run_due_batched(c, 200);
	sb_post("/_sandbox/faults", "{\"platform\":\"*\",\"rate\":0}");
	check_batch(c, ps, 30, 0);
	/* no retry made a second contact */
	assert_one_contact_per_email();
	assert_int_equal(contacts_with_email("ada@example.com"), 1);
	assert_int_equal(contacts_with_email("returning@example.com"), 1);
}

/*
 * Fifty imports in one batch: 15 guests with new emails, 10 returning
 * customers with two or three orders each (five of them already
 * Brightpearl contacts), three orders sharing one new email and seven new
 * customers.  One contact per email, every new one created through
 * multi-messages, the directory read with one search, at most 0.6
 * Brightpearl requests an order, and every order on the contact with its
 * billing email.
 */
static void
test_orders__batched_fifty_customers_from_directory(void **state)
{
	ctx *c = *state;
	placed ps[PS_FLOW_BATCH_MAX];
	char emails[PS_FLOW_BATCH_MAX][64];
	size_t n = 0, i;
	long long used;
	int k, round;

	bp_seed_contacts("ret", 0, 5, "Re");
	for (k = 0; k < 15; k++) {
		snprintf(emails[n], sizeof(emails[n]), "guest-d-%d@example.com",
			 k);
		ps[n] = place_for(emails[n], 1, "Gu", 100 + k);
		n++;
	}
	/* returning customers 0-4 have three orders, 5-9 two */
	for (round = 0; round < 3; round++)
		for (k = 0; k < 10; k++) {
			if (round == 2 && k >= 5)
				continue;
			snprintf(emails[n], sizeof(emails[n]),
				 "ret-%d@example.com", k);
			ps[n] = place_for(emails[n], 0, "Re", k);
			n++;
		}
	for (k = 0; k < 3; k++) {
		snprintf(emails[n], sizeof(emails[n]), "trio@example.com");
		ps[n] = place_for(emails[n], 0, "Tri", 300);
		n++;
	}
	for (k = 0; k < 7; k++) {
		snprintf(emails[n], sizeof(emails[n]), "new-d-%d@example.com",
			 k);
		ps[n] = place_for(emails[n], 0, "Nu", 400 + k);
		n++;
	}
	assert_int_equal(n, 50);
	deliver_all(c, ps, n);
	c->env.backlog = 1;
	sb_post("/_sandbox/requests/reset", "{}");
	run_due_batched(c, 1); /* one claim of 50: one perform_batch */
	used = bp_requests();
	check_batch(c, ps, n, 0);
	for (i = 0; i < n; i++)
		assert_int_equal(contacts_with_email(emails[i]), 1);
	assert_one_contact_per_email();
	check_customers(ps, emails, n);
	/* new contacts and their addresses only through multi-messages */
	assert_int_equal(bp_endpoint_count("POST /contact-service/contact"), 0);
	assert_int_equal(
		bp_endpoint_count("POST /contact-service/postal-address"), 0);
	if (bp_endpoint_count(SEARCH) > 2)
		fail_msg("%lld contact searches for one batch",
			 bp_endpoint_count(SEARCH));
	if (used * 10 > (long long)n * 6)
		fail_msg("%lld Brightpearl requests for %zu orders", used, n);
}

/*
 * A contact added in Brightpearl after the directory was first read is
 * found by the next batch's incremental refresh: the order goes to it and
 * no second contact is made.
 */
static void
test_orders__batched_directory_sees_new_contact(void **state)
{
	ctx *c = *state;
	placed ps[3];
	char emails[3][64] = {"first-a@example.com", "late-0@example.com",
			      "first-b@example.com"};
	char *since = NULL;
	int64_t late;

	ps[0] = place_for(emails[0], 0, "Fi", 1);
	deliver_all(c, ps, 1);
	c->env.backlog = 1;
	run_due_batched(c, 2);
	check_batch(c, ps, 1, 0);
	assert_int_equal(
		ps_store_cursor_get(&since, NULL, c->st, "bp.contacts.sandbox"),
		0);
	assert_non_null(since);
	free(since);
	/* the merchant adds a contact in Brightpearl */
	late = bp_seed_contacts("late", 0, 1, "La");
	ps[1] = place_for(emails[1], 0, "La", 0);
	ps[2] = place_for(emails[2], 0, "Fi", 2);
	deliver_all(c, &ps[1], 2);
	run_due_batched(c, 2);
	check_batch(c, ps, 3, 0);
	assert_int_equal(contacts_with_email("late-0@example.com"), 1);
	assert_one_contact_per_email();
	check_customers(ps, emails, 3);
	{
		json_t *st = bp_state();
		char ref[24];

		snprintf(ref, sizeof(ref), "%lld", (long long)ps[1].id);
		assert_int_equal(order_customer_id(st, ref), late);
		json_decref(st);
	}
}

/*
 * The directory outlives the flow state: after fini/init (empty caches,
 * same database) a returning email needs no new contact, and the refresh
 * asks only for the contacts changed since the last one seen.  With over
 * 500 contacts a full read takes two searches, the incremental one only
 * one.
 */
static void
test_orders__batched_directory_persists(void **state)
{
	ctx *c = *state;
	placed ps[4];
	char emails[4][64] = {"keep-a@example.com", "bulk-7@example.com",
			      "keep-a@example.com", "bulk-8@example.com"};
	size_t contacts;
	json_t *st;

	bp_seed_contacts("bulk", 0, 520, "Bu");
	ps[0] = place_for(emails[0], 0, "Ke", 1);
	ps[1] = place_for(emails[1], 0, "Bu", 7);
	deliver_all(c, ps, 2);
	c->env.backlog = 1;
	sb_post("/_sandbox/requests/reset", "{}");
	run_due_batched(c, 2);
	check_batch(c, ps, 2, 0);
	/* the first read: every contact, two pages */
	assert_int_equal(bp_endpoint_count(SEARCH), 2);
	st = bp_state();
	contacts = json_object_size(json_object_get(st, "contacts"));
	json_decref(st);

	/* a restart: fresh caches, the same database */
	c->flow->fini(c->env.state);
	assert_int_equal(c->flow->init(&c->env.state, &c->env), 0);
	ps[2] = place_for(emails[2], 0, "Ke", 1);
	ps[3] = place_for(emails[3], 0, "Bu", 8);
	deliver_all(c, &ps[2], 2);
	sb_post("/_sandbox/requests/reset", "{}");
	run_due_batched(c, 2);
	check_batch(c, ps, 4, 0);
	assert_int_equal(bp_endpoint_count(SEARCH), 1);
	assert_int_equal(bp_endpoint_count("POST /multi-message"), 2);
	st = bp_state();
	assert_int_equal(json_object_size(json_object_get(st, "contacts")),
			 contacts);
	json_decref(st);
	assert_int_equal(contacts_with_email("keep-a@example.com"), 1);
	check_customers(ps, emails, 4);
}

/*
 * Once a day the directory is read whole and replaced: a row for a
 * contact Brightpearl no longer has (deleted there, which the incremental
 * reads by updatedOn never report) goes, and an order billed to that
 * email gets a new contact instead of failing on a missing customer.
 */
static void
test_orders__batched_directory_reread_daily(void **state)
{
	ctx *c = *state;
	placed ps[2];
	char emails[2][64] = {"first@example.com", "ghost@example.com"};
	ps_store_contact k;

	ps[0] = place_for(emails[0], 0, "Fi", 1);
	deliver_all(c, ps, 1);
	c->env.backlog = 1;
	run_due_batched(c, 2);
	check_batch(c, ps, 1, 0);
	/* the directory says ghost@ is contact 999999, which Brightpearl
	 * does not have */
	assert_int_equal(ps_store_contact_put(c->st, "sandbox",
					      "ghost@example.com", 999999, "Gh",
					      "Ost", NULL),
			 0);
	/* within the day the incremental read keeps the stale row */
	ps[1] = place_for(emails[1], 0, "Gh", 2);
	memset(&k, 0, sizeof(k));
	c->now += 3600 * 1000;
	assert_int_equal(ps_store_contact_find(&k, c->st, "sandbox",
					       "ghost@example.com"),
			 0);
	assert_int_equal(k.id, 999999);
	ps_store_contact_dispose(&k);
	/* a day later the whole read replaces it */
	c->now += 24 * 3600 * 1000;
	deliver_all(c, &ps[1], 1);
	run_due_batched(c, 2);
	check_batch(c, ps, 2, 0);
	assert_int_equal(contacts_with_email("ghost@example.com"), 1);
	check_customers(ps, emails, 2);
	assert_int_equal(ps_store_contact_find(&k, c->st, "sandbox",
					       "ghost@example.com"),
			 0);
	assert_int_not_equal(k.id, 999999);
	ps_store_contact_dispose(&k);
}

/* The sandbox's order with externalRef ref (borrowed from state). */
static json_t *
bp_order_with_ref(json_t *state, const char *ref)
{
	json_t *o;
	const char *k;

	json_object_foreach (json_object_get(state, "orders"), k, o) {
		const char *ext =
			json_string_value(json_object_get(o, "externalRef"));

		if (ext != NULL && strcmp(ext, ref) == 0)
			return o;
	}
	return NULL;
}

/* The order bc_id was imported: synced, on a contact whose first name is
 * cut to Brightpearl's 32 characters, the full name in a private note,
 * the recipient's full name and the 3-letter country on the order, and
 * the entry's detail saying the name was cut. */
static void
check_long_name(ctx *c, json_t *st, int64_t bc_id, const char *first, int n)
{
	ps_log_entry e;
	char key[64], ref[24], full[128];
	json_t *o, *contact, *note;
	const char *k;
	int64_t cid, bp_id;
	int noted = 0;

	snprintf(key, sizeof(key), "bc:order:%lld:import", (long long)bc_id);
	snprintf(ref, sizeof(ref), "%lld", (long long)bc_id);
	snprintf(full, sizeof(full), "%s St%d", first, n);
	assert_int_equal(ps_store_log_get_by_key(&e, c->st, key), 0);
	if (e.status != PS_ENTRY_SYNCED)
		fail_msg("order %s: %s (%s)", ref,
			 ps_entry_status_name(e.status),
			 e.reason ? e.reason : "");
	assert_non_null(e.detail);
	assert_non_null(strstr(e.detail, "name cut"));
	ps_log_entry_dispose(&e);
	assert_non_null(o = bp_order_with_ref(st, ref));
	bp_id = json_integer_value(json_object_get(o, "id"));
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(o, "billing"),
					"address"),
			"addressFullName")),
		full);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(o, "delivery"),
					"address"),
			"countryIsoCode")),
		"USA");
	cid = order_customer_id(st, ref);
	snprintf(key, sizeof(key), "%lld", (long long)cid);
	assert_non_null(contact = json_object_get(
				json_object_get(st, "contacts"), key));
	assert_int_equal(strlen(json_string_value(
				 json_object_get(contact, "firstName"))),
			 32);
	assert_int_equal(strncmp(json_string_value(
					 json_object_get(contact, "firstName")),
				 first, 32),
			 0);
	json_object_foreach (json_object_get(st, "notes"), k, note) {
		const char *t =
			json_string_value(json_object_get(note, "text"));

		if (json_integer_value(json_object_get(note, "orderId")) ==
			    bp_id &&
		    t != NULL && strstr(t, full) != NULL &&
		    !json_is_true(json_object_get(note, "isPublic")))
			noted = 1;
	}
	assert_true(noted);
}

/*
 * Brightpearl limits a contact's first and last name to 32 characters
 * (the sandbox refuses longer ones): a customer with a longer name is
 * created with the name cut, the full name kept in a private order note,
 * and the orders are imported, batched or one at a time.
 */
static void
test_orders__long_names_cut_with_note(void **state)
{
	ctx *c = *state;
	static const char longname[] = "Bartholomew-Maximilian-Fitzgerald-Jr";
	placed ps[6];
	char emails[6][64] = {"ok-1@example.com", "long@example.com",
			      "ok-2@example.com", "ada@example.com",
			      "long@example.com", "ok-3@example.com"};
	size_t i;
	json_t *st;

	assert_true(strlen(longname) > 32);
	for (i = 0; i < 6; i++) {
		int lng = strcmp(emails[i], "long@example.com") == 0;

		ps[i] = place_for(emails[i], i == 5, lng ? longname : "Ok",
				  (int)i);
		ps[i].notes = lng;
	}
	deliver_all(c, ps, 6);
	c->env.backlog = 1;
	run_due_batched(c, 2);
	check_batch(c, ps, 6, 0);
	check_customers(ps, emails, 6);
	st = bp_state();
	check_long_name(c, st, ps[1].id, longname, 1);
	check_long_name(c, st, ps[4].id, longname, 4);
	json_decref(st);
	assert_int_equal(contacts_with_email("long@example.com"), 1);
	assert_one_contact_per_email();
	/* one at a time (no batch) the same */
	ps[0] = place_for("long-alone@example.com", 0, longname, 9);
	deliver_all(c, ps, 1);
	run_due(c, 2);
	st = bp_state();
	check_long_name(c, st, ps[0].id, longname, 9);
	json_decref(st);
}

/* The rows of the Brightpearl order whose externalRef is ext (borrowed
 * from state), or NULL. */
static json_t *
bp_rows_of(json_t *state, const char *ext)
{
	json_t *o;
	const char *k;

	json_object_foreach (json_object_get(state, "orders"), k, o) {
		const char *e =
			json_string_value(json_object_get(o, "externalRef"));

		if (e != NULL && strcmp(e, ext) == 0)
			return json_object_get(o, "rows");
	}
	return NULL;
}

/* The taxCode of the row whose name starts with prefix; NULL if none. */
static const char *
row_tax_code(json_t *rows, const char *prefix)
{
	json_t *r;
	size_t i;

	json_array_foreach (rows, i, r) {
		const char *n = json_string_value(json_object_get(r, "name"));

		if (n != NULL && strncmp(n, prefix, strlen(prefix)) == 0)
			return json_string_value(json_object_get(r, "taxCode"));
	}
	return NULL;
}

/* The sandbox's counter of BigCommerce order-tax reads. */
#define TAXES "GET v2/orders/{id}/taxes"

/*
 * A varied order, placed through BigCommerce's v2 API (a zero-rated line,
 * a taxed line, taxed shipping and an order discount), imported against
 * the strict sandbox: every row reaches Brightpearl with the tax code the
 * tax_code mapping or bigcommerce.defaults.tax_code gives it.
 */
static void
test_orders__tax_code_on_every_row(void **state)
{
	static const char *const h[] = {"X-Auth-Token: sandbox-token",
					"Content-Type: application/json",
					"Accept: application/json", NULL};
	ctx *c = *state;
	sandbox_reply r;
	char url[512], ext[32];
	json_t *o, *st, *rows, *row;
	int64_t id;
	size_t i;
	long long before;

	map(c, "tax_code", "zero_rated", "N");
	map(c, "tax_code", "shipping", "N");
	map(c, "tax_code", "discount", "T");
	snprintf(url, sizeof(url), "%s/stores/sandbox/v2/orders",
		 sandbox_proc_url(&sb, "bigcommerce"));
	assert_int_equal(
		sandbox_http(
			&r, "POST", url, h,
			"{\"status_id\":11,\"billing_address\":{\"first_name\":"
			"\"Tax\",\"last_name\":\"Mix\",\"email\":"
			"\"taxmix@example.com\",\"street_1\":\"1 Tax St\","
			"\"city\":\"Town\",\"zip\":\"12345\",\"country_iso2\":"
			"\"US\"},\"products\":[{\"name\":\"Printed book\","
			"\"quantity\":1,\"price_ex_tax\":\"20.00\","
			"\"price_inc_tax\":\"20.00\"},{\"name\":\"Poster\","
			"\"quantity\":2,\"price_ex_tax\":\"10.00\","
			"\"price_inc_tax\":\"12.00\"}],"
			"\"shipping_cost_ex_tax\":\"5.00\","
			"\"shipping_cost_inc_tax\":\"6.00\","
			"\"discount_amount\":\"3.00\"}",
			NULL),
		201);
	o = json_loadb(r.body, r.body_len, 0, NULL);
	sandbox_reply_dispose(&r);
	assert_non_null(o);
	id = json_integer_value(json_object_get(o, "id"));
	json_decref(o);
	assert_true(id > 0);

	before = endpoint_count("bigcommerce", TAXES);
	deliver(c, "store/order/created", id, NULL);
	run_due(c, 5);
	/* no mapping keyed by a tax class: the taxes are not read */
	assert_int_equal(endpoint_count("bigcommerce", TAXES), before);
	st = bp_state();
	snprintf(ext, sizeof(ext), "%lld", (long long)id);
	rows = bp_rows_of(st, ext);
	assert_non_null(rows);
	/* book, poster, shipping, discounts */
	assert_int_equal(json_array_size(rows), 4);
	json_array_foreach (rows, i, row)
		assert_non_null(
			json_string_value(json_object_get(row, "taxCode")));
	assert_string_equal(row_tax_code(rows, "Printed book"), "N");
	assert_string_equal(row_tax_code(rows, "Poster"), "T");
	assert_string_equal(row_tax_code(rows, "Shipping"), "N");
	assert_string_equal(row_tax_code(rows, "Discounts"), "T");
	json_decref(st);
}

/*
 * An order with lines of two BigCommerce tax classes (4 and 5) and
 * shipping of class 2: with the tax_code mapping keyed by class id, the
 * import reads the order's taxes and each Brightpearl row takes its
 * class's code; shipping's class wins over the shipping key.
 */
static void
test_orders__tax_code_by_tax_class(void **state)
{
	ctx *c = *state;
	placed p;
	json_t *st, *rows, *bc;
	char ext[32], path[96];
	long long before;

	map(c, "tax_code", "4", "N");
	map(c, "tax_code", "5", "T");
	map(c, "tax_code", "2", "N");
	map(c, "tax_code", "shipping", "T");
	memset(&p, 0, sizeof(p));
	place_body(&p,
		   "{\"billing_address\":{\"first_name\":\"Two\","
		   "\"last_name\":\"Classes\",\"email\":"
		   "\"classes@example.com\",\"street_1\":\"2 Class St\","
		   "\"city\":\"Town\",\"zip\":\"12345\",\"country_iso2\":"
		   "\"US\"},\"lines\":[{\"sku\":\"MUG-LOGO\",\"quantity\":1,"
		   "\"tax_class_id\":4,\"tax_rate\":\"0.05\"},{\"sku\":"
		   "\"CAP-BLK\",\"quantity\":1,\"tax_class_id\":5}],"
		   "\"tax_rate\":\"0.2\",\"shipping_cost\":\"4.00\","
		   "\"shipping_tax_class_id\":2,\"status_id\":11}");
	assert_true(p.id > 0);
	/* the sandbox's taxes name both classes and the shipping's */
	snprintf(path, sizeof(path), "/_sandbox/bigcommerce/orders/%lld",
		 (long long)p.id);
	bc = sb_call("GET", path, NULL);
	assert_int_equal(json_array_size(json_object_get(bc, "taxes")), 3);
	json_decref(bc);

	before = endpoint_count("bigcommerce", TAXES);
	deliver(c, "store/order/created", p.id, NULL);
	run_due(c, 5);
	/* one read of the order's taxes */
	assert_int_equal(endpoint_count("bigcommerce", TAXES) - before, 1);
	st = bp_state();
	snprintf(ext, sizeof(ext), "%lld", (long long)p.id);
	rows = bp_rows_of(st, ext);
	assert_non_null(rows);
	assert_int_equal(json_array_size(rows), 3);
	/* the default (T) would give N to neither line nor shipping */
	assert_string_equal(row_tax_code(rows, "Logo mug"), "N");
	assert_string_equal(row_tax_code(rows, "Shipping"), "N");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(rows, 1), "taxCode")),
			    "T");
	json_decref(st);
}

/* Four orders imported in one batch with class-keyed mappings: their
 * taxes are read once each (first pages together), and each order's
 * lines take their class's code. */
static void
test_orders__tax_classes_batched(void **state)
{
	ctx *c = *state;
	placed p[4];
	char body[1024], ext[32];
	long long before;
	json_t *st, *rows;
	int i;

	map(c, "tax_code", "4", "N");
	map(c, "tax_code", "5", "T");
	for (i = 0; i < 4; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		snprintf(body, sizeof(body),
			 "{\"billing_address\":{\"first_name\":\"Batch\","
			 "\"last_name\":\"Class\",\"email\":"
			 "\"batch-class-%d@example.com\",\"street_1\":\"%d "
			 "Class St\",\"city\":\"Town\",\"zip\":\"12345\","
			 "\"country_iso2\":\"US\"},\"lines\":[{\"sku\":"
			 "\"MUG-LOGO\",\"quantity\":1,\"tax_class_id\":%d}],"
			 "\"tax_rate\":\"0.2\",\"status_id\":11}",
			 i, i + 1, i % 2 ? 5 : 4);
		place_body(&p[i], body);
		deliver(c, "store/order/created", p[i].id, NULL);
	}
	c->env.backlog = 1;
	before = endpoint_count("bigcommerce", TAXES);
	run_due_batched(c, 5);
	assert_int_equal(endpoint_count("bigcommerce", TAXES) - before, 4);
	st = bp_state();
	for (i = 0; i < 4; i++) {
		snprintf(ext, sizeof(ext), "%lld", (long long)p[i].id);
		rows = bp_rows_of(st, ext);
		assert_non_null(rows);
		assert_string_equal(row_tax_code(rows, "Logo mug"),
				    i % 2 ? "T" : "N");
	}
	json_decref(st);
}

/* ---- reservations by row ------------------------------------------------ */

/* A guest order of MUG-LOGO x2, CAP-BLK x1 and MUG-LOGO x3 (one product
 * on two lines); i makes the guest unique. */
static placed
place_three_lines(int i)
{
	char body[1024];
	placed p;

	memset(&p, 0, sizeof(p));
	snprintf(body, sizeof(body),
		 "{\"billing_address\":{\"first_name\":\"Re\",\"last_name\":"
		 "\"Serve\",\"email\":\"reserve-%d@example.com\",\"street_1\":"
		 "\"%d Row St\",\"city\":\"Town\",\"zip\":\"12345\","
		 "\"country_iso2\":\"US\"},\"lines\":[{\"sku\":\"MUG-LOGO\","
		 "\"quantity\":2},{\"sku\":\"CAP-BLK\",\"quantity\":1},"
		 "{\"sku\":\"MUG-LOGO\",\"quantity\":3}],\"status_id\":11}",
		 i, i);
	place_body(&p, body);
	return p;
}

/* The Brightpearl order (internal shape) whose externalRef is bc_id. */
static json_t *
bp_order_by_ref(json_t *state, int64_t bc_id)
{
	json_t *o;
	const char *k, *ext;
	char want[32];

	snprintf(want, sizeof(want), "%lld", (long long)bc_id);
	json_object_foreach (json_object_get(state, "orders"), k, o) {
		ext = json_string_value(json_object_get(o, "externalRef"));
		if (ext != NULL && strcmp(ext, want) == 0)
			return o;
	}
	fail_msg("no Brightpearl order for BigCommerce order %s", want);
	return NULL;
}

/*
 * The reservation of the order imported from bc_id, read from the
 * sandbox's state: one reservation row per product row of the order, on
 * that row's id, for that row's product and quantity (MUG-LOGO 2 and 3
 * on two rows of their own, CAP-BLK 1), in warehouse 2.
 */
static void
check_reserved_by_row(int64_t bc_id)
{
	json_t *state = bp_state(), *o, *res, *rows, *row, *r;
	int64_t mug = 0, cap = 0, oid;
	char key[32];
	size_t i, product_rows = 0;
	int seen_mug2 = 0, seen_mug3 = 0, seen_cap = 0;

	o = bp_order_by_ref(state, bc_id);
	oid = json_integer_value(json_object_get(o, "id"));
	snprintf(key, sizeof(key), "%lld", (long long)oid);
	res = json_object_get(json_object_get(state, "reservations"), key);
	if (res == NULL)
		fail_msg("order %lld has no reservation", (long long)oid);
	assert_int_equal(
		json_integer_value(json_object_get(res, "warehouseId")), 2);
	rows = json_object_get(res, "orderRows");
	json_array_foreach (json_object_get(o, "rows"), i, row) {
		int64_t pid =
			json_integer_value(json_object_get(row, "productId"));
		int64_t q, rq;

		if (pid <= 0)
			continue; /* shipping, discounts */
		product_rows++;
		snprintf(key, sizeof(key), "%lld",
			 (long long)json_integer_value(
				 json_object_get(row, "id")));
		r = json_object_get(rows, key);
		if (r == NULL)
			fail_msg("row %s of order %lld is not reserved", key,
				 (long long)oid);
		q = (int64_t)strtoll(
			json_string_value(json_object_get(row, "quantity"))
				? json_string_value(
					  json_object_get(row, "quantity"))
				: "0",
			NULL, 10);
		if (q == 0)
			q = json_integer_value(
				json_object_get(row, "quantity"));
		rq = json_integer_value(json_object_get(r, "quantity"));
		assert_int_equal(
			json_integer_value(json_object_get(r, "productId")),
			pid);
		assert_int_equal(rq, q);
		if (q == 1) {
			cap = pid;
			seen_cap = 1;
		} else {
			mug = pid;
			seen_mug2 |= q == 2;
			seen_mug3 |= q == 3;
		}
	}
	assert_int_equal(product_rows, 3);
	assert_int_equal(json_object_size(rows), 3);
	assert_true(seen_mug2 && seen_mug3 && seen_cap);
	assert_true(mug > 0 && cap > 0 && mug != cap);
	json_decref(state);
}

static void
entry_synced(ctx *c, int64_t bc_id)
{
	ps_log_entry e;
	char key[64];

	snprintf(key, sizeof(key), "bc:order:%lld:import", (long long)bc_id);
	assert_int_equal(ps_store_log_get_by_key(&e, c->st, key), 0);
	if (e.status != PS_ENTRY_SYNCED)
		fail_msg("%s: status %d, %s", key, (int)e.status,
			 e.reason ? e.reason : "");
	ps_log_entry_dispose(&e);
}

static void
test_orders__reservation_on_each_row(void **state)
{
	ctx *c = *state;
	placed p = place_three_lines(1);

	deliver(c, "store/order/created", p.id, NULL);
	run_due(c, 3);
	entry_synced(c, p.id);
	check_reserved_by_row(p.id);
}

/*
 * The mix in one order, against the strict sandbox: three lines
 * of two BigCommerce tax classes (one line zero-rated), taxed shipping, a
 * coupon, a customer whose first name is over Brightpearl's 32
 * characters, billing in the United Kingdom and delivery to Germany.
 * Read back from the sandbox's state: a tax code on every row, the
 * reservation on the rows Brightpearl assigned, full recipient names,
 * 3-letter countries, the name cut on the contact with the full name in a
 * private note, and the entry synced saying so.
 */
static void
test_orders__varied_order_mix(void **state)
{
	static const char first[] = "Anastasia-Konstantina-Evangelia-Maria";
	ctx *c = *state;
	json_t *st, *o, *row, *note;
	const char *k, *code;
	char body[2048], full[128], key[64];
	ps_log_entry e;
	int64_t bp_id;
	size_t i;
	int noted = 0, zero = 0, taxed = 0;
	placed p;

	assert_true(strlen(first) > 32);
	map(c, "tax_code", "4", "T");
	map(c, "tax_code", "5", "T");
	map(c, "tax_code", "zero_rated", "N");
	map(c, "tax_code", "shipping", "T");
	map(c, "tax_code", "discount", "T");
	memset(&p, 0, sizeof(p));
	snprintf(body, sizeof(body),
		 "{\"billing_address\":{\"first_name\":\"%s\",\"last_name\":"
		 "\"Papadopoulou\",\"email\":\"mix@example.com\","
		 "\"street_1\":\"10 Downing St\",\"city\":\"London\","
		 "\"zip\":\"SW1A 2AA\",\"country_iso2\":\"GB\"},"
		 "\"shipping_addresses\":[{\"first_name\":\"Joan\","
		 "\"last_name\":\"Clarke\",\"street_1\":\"Unter den Linden 1\","
		 "\"city\":\"Berlin\",\"zip\":\"10117\",\"country_iso2\":"
		 "\"DE\",\"company\":\"Bletchley GmbH\",\"phone\":"
		 "\"+49 30 1234\",\"email\":\"joan@example.com\"}],"
		 "\"lines\":[{\"sku\":\"MUG-LOGO\",\"quantity\":2,"
		 "\"tax_class_id\":4,\"tax_rate\":\"0.2\"},"
		 "{\"sku\":\"CAP-BLK\",\"quantity\":1,\"tax_class_id\":5,"
		 "\"tax_rate\":\"0.2\"},{\"sku\":\"MUG-LOGO\",\"quantity\":3,"
		 "\"tax_class_id\":4,\"tax_rate\":\"0\"}],"
		 "\"shipping_cost\":\"7.50\",\"coupon\":{\"code\":\"MIX5\","
		 "\"amount\":\"5.00\"},\"status_id\":11}",
		 first);
	place_body(&p, body);
	deliver(c, "store/order/created", p.id, NULL);
	run_due(c, 5);
	entry_synced(c, p.id);
	snprintf(key, sizeof(key), "bc:order:%lld:import", (long long)p.id);
	assert_int_equal(ps_store_log_get_by_key(&e, c->st, key), 0);
	assert_non_null(e.detail);
	assert_non_null(strstr(e.detail, "name cut"));
	ps_log_entry_dispose(&e);

	check_reserved_by_row(p.id);
	st = bp_state();
	o = bp_order_by_ref(st, p.id);
	bp_id = json_integer_value(json_object_get(o, "id"));
	/* every row has its code: the zero-rated line N, the rest T */
	json_array_foreach (json_object_get(o, "rows"), i, row) {
		code = json_string_value(json_object_get(row, "taxCode"));
		if (code == NULL)
			fail_msg("row %zu of order %lld has no taxCode", i,
				 (long long)bp_id);
		zero += strcmp(code, "N") == 0;
		taxed += strcmp(code, "T") == 0;
	}
	assert_int_equal(zero, 1);
	assert_true(taxed >= 3); /* two lines, shipping, the coupon */
	/* the recipients, in full, with 3-letter countries */
	snprintf(full, sizeof(full), "%s Papadopoulou", first);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(o, "billing"),
					"address"),
			"addressFullName")),
		full);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(o, "billing"),
					"address"),
			"countryIsoCode")),
		"GBR");
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(o, "delivery"),
					"address"),
			"addressFullName")),
		"Joan Clarke");
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(o, "delivery"),
					"address"),
			"countryIsoCode")),
		"DEU");
	/* the full name kept in a private note */
	json_object_foreach (json_object_get(st, "notes"), k, note) {
		const char *t =
			json_string_value(json_object_get(note, "text"));

		if (json_integer_value(json_object_get(note, "orderId")) ==
			    bp_id &&
		    t != NULL && strstr(t, first) != NULL &&
		    !json_is_true(json_object_get(note, "isPublic")))
			noted = 1;
	}
	assert_true(noted);
	json_decref(st);
}

static void
test_orders__batched_reservations_on_each_row_one_read(void **state)
{
	ctx *c = *state;
	placed ps[4];
	size_t i;

	for (i = 0; i < 4; i++)
		ps[i] = place_three_lines(10 + (int)i);
	deliver_all(c, ps, 4);
	c->env.backlog = 1;
	sb_post("/_sandbox/requests/reset", "{}");
	run_due_batched(c, 3);
	for (i = 0; i < 4; i++) {
		entry_synced(c, ps[i].id);
		check_reserved_by_row(ps[i].id);
	}
	/* the four orders' rows in one id-set read, the reservations in
	 * the multi-message */
	assert_int_equal(bp_endpoint_count("GET /order-service/order/{idset}"),
			 1);
	assert_int_equal(bp_endpoint_count("POST /warehouse-service/order/{id}/"
					   "reservation/warehouse/{wh}"),
			 0);
}

static void
test_orders__unknown_warehouse_fails_the_entry(void **state)
{
	ctx *c = *state;
	placed p = place_three_lines(30);
	ps_log_entry e;
	char key[64];
	json_t *st;
	ps_money total = -1;

	set(c, "bigcommerce.defaults.warehouse_id", "99");
	deliver(c, "store/order/created", p.id, NULL);
	run_due(c, 3);
	snprintf(key, sizeof(key), "bc:order:%lld:import", (long long)p.id);
	assert_int_equal(ps_store_log_get_by_key(&e, c->st, key), 0);
	assert_int_equal(e.status, PS_ENTRY_FAILED);
	if (e.reason == NULL ||
	    strstr(e.reason, "Warehouse 99 does not exist") == NULL)
		fail_msg("reason: %s", e.reason ? e.reason : "(none)");
	ps_log_entry_dispose(&e);
	/* nothing in Brightpearl */
	st = bp_state();
	snprintf(key, sizeof(key), "%lld", (long long)p.id);
	bp_orders_check(st, key, &total, NULL);
	assert_int_equal(total, -1);
	json_decref(st);
}

/*
 * A warehouse Brightpearl takes on the order (strict.orderReferences
 * off) but refuses for the reservation: the order is made, the entry is
 * synced with the reason "warning: reservation not made ...", and the
 * sandbox holds no reservation for it.  The direct path (one order) and
 * the batched one (the reservation in the multi-message) alike.
 */
static void
check_reservation_warned(ctx *c, int64_t bc_id)
{
	static const char prefix[] =
		"warning: reservation not made in warehouse 99: ";
	ps_log_entry e;
	char key[64];
	json_t *st;
	int64_t oid;

	snprintf(key, sizeof(key), "bc:order:%lld:import", (long long)bc_id);
	assert_int_equal(ps_store_log_get_by_key(&e, c->st, key), 0);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	if (e.reason == NULL ||
	    strncmp(e.reason, prefix, strlen(prefix)) != 0 ||
	    strstr(e.reason, "Warehouse 99 does not exist") == NULL)
		fail_msg("reason: %s", e.reason ? e.reason : "(none)");
	ps_log_entry_dispose(&e);
	st = bp_state();
	oid = json_integer_value(
		json_object_get(bp_order_by_ref(st, bc_id), "id"));
	assert_true(oid > 0);
	snprintf(key, sizeof(key), "%lld", (long long)oid);
	assert_null(json_object_get(json_object_get(st, "reservations"), key));
	json_decref(st);
}

static void
test_orders__refused_reservation_warns(void **state)
{
	ctx *c = *state;
	placed p = place_three_lines(40), ps[3];
	size_t i;

	sb_post("/_sandbox/brightpearl/strict", "{\"orderReferences\":false}");
	set(c, "bigcommerce.defaults.warehouse_id", "99");
	deliver(c, "store/order/created", p.id, NULL);
	run_due(c, 3);
	check_reservation_warned(c, p.id);

	for (i = 0; i < 3; i++)
		ps[i] = place_three_lines(41 + (int)i);
	deliver_all(c, ps, 3);
	c->env.backlog = 1;
	run_due_batched(c, 3);
	for (i = 0; i < 3; i++)
		check_reservation_warned(c, ps[i].id);
}

static int
group_setup(void **state)
{
	static const char *const args[] = {"--seed", "demo", "--quota", "off",
					   NULL};

	(void)state;
	ps_log_set_level(PS_LOG_ERROR);
	return sandbox_proc_start(&sb, args, 15000);
}

static int
group_teardown(void **state)
{
	(void)state;
	if (sb.pid > 0)
		sandbox_proc_stop(&sb);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_orders__webhook_path_hundred_mixed_orders, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_orders__tax_code_on_every_row, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_orders__tax_code_by_tax_class, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_orders__tax_classes_batched, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_orders__poll_path_every_webhook_lost_then_edits,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_orders__webhook_edit_and_interrupted_import, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_orders__thirty_percent_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_orders__batched_mixed_orders, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_orders__batched_after_poll_reads_once, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_orders__batched_directory_reread_daily, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_orders__batched_interrupted_recovered, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_orders__batched_thirty_percent_faults, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_orders__batched_fifty_customers_from_directory,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_orders__batched_directory_sees_new_contact, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_orders__batched_directory_persists, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_orders__long_names_cut_with_note, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orders__varied_order_mix,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_orders__reservation_on_each_row, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_orders__batched_reservations_on_each_row_one_read,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_orders__refused_reservation_warns, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_orders__unknown_warehouse_fails_the_entry, setup,
			teardown),
	};

	ps_lib_init();
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
