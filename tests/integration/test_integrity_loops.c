/*
 * test_integrity_loops.c - no echo between the flows, end to end: the
 * worker with every flow and its webhook listener on, against
 * pearlsync-sandbox, set up as the README's setup steps suggest (statuses
 * mapped both ways with defaults, statuses synced back, notes on,
 * shipments on).  Each test makes a merchant's change on one side, then
 * runs ten rounds (webhooks delivered, every flow polled) and reads both
 * platforms from the sandbox: after the first rounds nothing may move any
 * more (texts, note counts, statuses), and no log entry may fail.
 *
 * A round is a worker pass, a pause for the sandbox's webhook deliveries
 * and a second pass, so a write that comes back as a webhook or in the
 * next poll is seen within the round that made it.
 */
#define _DEFAULT_SOURCE
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "flow_fixture.h"
#include "pearlsync/log.h"

#define ROUNDS 10
#define SETTLE_MAX 6
#define DEADLINE_MS 20000

static flow_fixture fx;

/* The entries of flow (newest first); *out freed by the caller. */
static size_t
flow_entries(ps_log_entry **out, const char *flow)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	size_t n = 0;

	q.flow = flow;
	assert_int_equal(ps_store_log_list(out, &n, fx.st, &q), 0);
	return n;
}

/* ---- reading the platforms ---------------------------------------------- */

static int
imported(int64_t bc_id)
{
	return fx_bp_order_of(&fx, bc_id) > 0;
}

/* What the test compares between rounds: both sides of one order. */
typedef struct picture {
	int bc_status;
	int64_t bp_status;
	char *staff_notes, *customer_message;
	char *bp_notes; /* every Brightpearl note, one per line */
	size_t nnotes;
	size_t shipments;
} picture;

static void
picture_dispose(picture *p)
{
	free(p->staff_notes);
	free(p->customer_message);
	free(p->bp_notes);
	memset(p, 0, sizeof(*p));
}

static void
take_picture(picture *out, int64_t bc_id)
{
	ps_bc_order o;
	ps_bp_order_list ol = {NULL, 0, NULL};
	ps_bp_note_list nl = {NULL, 0, NULL};
	ps_bc_shipment_list sl = {NULL, 0};
	int64_t bp_id = fx_bp_order_of(&fx, bc_id);
	size_t i, len = 1;

	memset(out, 0, sizeof(*out));
	memset(&o, 0, sizeof(o));
	assert_true(bp_id > 0);
	assert_int_equal(ps_bc_order_get(&o, fx.bc, bc_id), 0);
	out->bc_status = o.status_id;
	out->staff_notes = strdup(o.staff_notes ? o.staff_notes : "");
	out->customer_message =
		strdup(o.customer_message ? o.customer_message : "");
	ps_bc_order_dispose(&o);
	assert_int_equal(ps_bc_shipments_list(&sl, fx.bc, bc_id), 0);
	out->shipments = sl.count;
	ps_bc_shipment_list_dispose(&sl);
	assert_int_equal(ps_bp_order_get(&ol, fx.bp, &bp_id, 1), 0);
	assert_int_equal(ol.n, 1);
	out->bp_status = ol.items[0].status_id;
	ps_bp_order_list_dispose(&ol);
	assert_int_equal(ps_bp_note_list_get(&nl, fx.bp, bp_id), 0);
	out->nnotes = nl.n;
	for (i = 0; i < nl.n; i++)
		len += strlen(nl.items[i].text ? nl.items[i].text : "") + 1;
	out->bp_notes = calloc(1, len);
	assert_non_null(out->bp_notes);
	for (i = 0, len = 0; i < nl.n; i++) {
		const char *t = nl.items[i].text ? nl.items[i].text : "";

		memcpy(out->bp_notes + len, t, strlen(t));
		len += strlen(t);
		out->bp_notes[len++] = '\n';
	}
	ps_bp_note_list_dispose(&nl);
}

static int
same(const picture *a, const picture *b)
{
	return a->bc_status == b->bc_status && a->bp_status == b->bp_status &&
	       a->nnotes == b->nnotes && a->shipments == b->shipments &&
	       strcmp(a->staff_notes, b->staff_notes) == 0 &&
	       strcmp(a->customer_message, b->customer_message) == 0 &&
	       strcmp(a->bp_notes, b->bp_notes) == 0;
}

static void
assert_same(const picture *a, const picture *b, int round)
{
	if (!same(a, b)) {
		fprintf(stderr,
			"round %d moved: BC status %d -> %d, BP status %" PRId64
			" -> %" PRId64 ", BP notes %zu -> %zu, shipments %zu "
			"-> %zu\nstaff notes (%zu) '%s'\n -> (%zu) '%s'\n"
			"customer message '%s' -> '%s'\nBP notes:\n%s-> \n%s",
			round, a->bc_status, b->bc_status, a->bp_status,
			b->bp_status, a->nnotes, b->nnotes, a->shipments,
			b->shipments, strlen(a->staff_notes), a->staff_notes,
			strlen(b->staff_notes), b->staff_notes,
			a->customer_message, b->customer_message, a->bp_notes,
			b->bp_notes);
		fail();
	}
}

/*
 * After a change: rounds until two in a row leave both sides alike (the
 * change has been carried over; SETTLE_MAX rounds at most, so a busy
 * machine's late webhook is waited for), then ROUNDS more rounds in which
 * nothing may move.  An echo loop never settles, or moves later: both
 * fail.  *out: the final picture.
 */
static void
rounds_stay_put(picture *out, int64_t bc_id)
{
	picture before, now;
	int r;

	fx_round(&fx);
	take_picture(&before, bc_id);
	for (r = 1;; r++) {
		fx_round(&fx);
		take_picture(&now, bc_id);
		if (same(&before, &now)) {
			picture_dispose(&now);
			break;
		}
		if (r == SETTLE_MAX) /* still moving: fail, showing how */
			assert_same(&before, &now, r);
		picture_dispose(&before);
		before = now;
	}
	for (r = 1; r <= ROUNDS; r++) {
		fx_round(&fx);
		take_picture(&now, bc_id);
		assert_same(&before, &now, r);
		picture_dispose(&now);
	}
	*out = before;
	assert_int_equal(fx_failed_entries(&fx), 0);
}

/* ---- orders ------------------------------------------------------------- */

static int64_t
place_order(const char *staff_notes, const char *message, int status_id)
{
	char fields[512];
	int64_t id;

	snprintf(fields, sizeof(fields),
		 "\"staff_notes\":\"%s\",\"customer_message\":\"%s\","
		 "\"status_id\":%d",
		 staff_notes, message, status_id);
	id = fx_bc_order_place(&fx,
			       "[{\"sku\":\"TEE-BLU-M\",\"quantity\":1},"
			       "{\"sku\":\"MUG-LOGO\",\"quantity\":2}]",
			       fields);
	assert_true(fx_rounds_until(&fx, imported, id, DEADLINE_MS));
	return id;
}

static int
bc_status_is(int64_t arg)
{
	ps_bc_order o;
	int ok;

	memset(&o, 0, sizeof(o));
	assert_int_equal(ps_bc_order_get(&o, fx.bc, arg / 100), 0);
	ok = o.status_id == arg % 100;
	ps_bc_order_dispose(&o);
	return ok;
}

static int
bp_status_is(int64_t arg)
{
	ps_bp_order_list ol = {NULL, 0, NULL};
	int64_t id = fx_bp_order_of(&fx, arg / 100);
	int ok;

	assert_int_equal(ps_bp_order_get(&ol, fx.bp, &id, 1), 0);
	ok = ol.n == 1 && ol.items[0].status_id == arg % 100;
	ps_bp_order_list_dispose(&ol);
	return ok;
}

/* ---- notes -------------------------------------------------------------- */

typedef struct notes_case {
	const char *to_bc;      /* bigcommerce.notes.bp_note_to_bc_field */
	const char *staff_cf;   /* bigcommerce.notes.staff_notes_field */
	const char *message_cf; /* bigcommerce.notes.customer_message_field */
} notes_case;

static int64_t notes_order;
static const char *notes_field;

static int
bp_note_reached_bc(int64_t tag)
{
	ps_bc_order o;
	char want[64];
	int ok;

	memset(&o, 0, sizeof(o));
	snprintf(want, sizeof(want), "Fragile, case %" PRId64, tag);
	assert_int_equal(ps_bc_order_get(&o, fx.bc, notes_order), 0);
	ok = fx_count(strcmp(notes_field, "customer_message") == 0
			      ? o.customer_message
			      : o.staff_notes,
		      want) > 0;
	ps_bc_order_dispose(&o);
	return ok;
}

static void
one_notes_case(const notes_case *c, int k)
{
	char staff[64], message[64], note[64], extra[64], body[256];
	char *edited;
	picture p;
	int64_t bp_id;
	ps_bc_order o;
	size_t n;

	fx_set(&fx, "bigcommerce.notes.bp_note_to_bc_field", c->to_bc);
	fx_set(&fx, "bigcommerce.notes.staff_notes_field", c->staff_cf);
	fx_set(&fx, "bigcommerce.notes.customer_message_field", c->message_cf);
	snprintf(staff, sizeof(staff), "Leave at door, case %d", k);
	snprintf(message, sizeof(message), "Gift for mum, case %d", k);
	snprintf(note, sizeof(note), "Fragile, case %d", k);
	snprintf(extra, sizeof(extra), "Call first, case %d", k);
	notes_order = place_order(staff, message, 11);
	notes_field = c->to_bc;
	bp_id = fx_bp_order_of(&fx, notes_order);

	/* the merchant adds a Brightpearl note; it reaches BigCommerce */
	snprintf(body, sizeof(body),
		 "{\"orderId\":%" PRId64 ",\"text\":\"%s\"}", bp_id, note);
	fx_ctl_ok(&fx, "POST", "/brightpearl/note", body);
	assert_true(fx_rounds_until(&fx, bp_note_reached_bc, k, DEADLINE_MS));

	/* then edits the BigCommerce staff notes, keeping what is there */
	memset(&o, 0, sizeof(o));
	assert_int_equal(ps_bc_order_get(&o, fx.bc, notes_order), 0);
	n = strlen(o.staff_notes) + strlen(extra) + 2;
	edited = malloc(n);
	assert_non_null(edited);
	snprintf(edited, n, "%s\n%s", o.staff_notes, extra);
	ps_bc_order_dispose(&o);
	assert_int_equal(
		ps_bc_order_update_notes(fx.bc, notes_order, edited, NULL), 0);
	free(edited);

	rounds_stay_put(&p, notes_order);
	/* each text once on each side it belongs to */
	assert_int_equal(fx_count(strcmp(c->to_bc, "customer_message") == 0
					  ? p.customer_message
					  : p.staff_notes,
				  note),
			 1);
	assert_int_equal(fx_count(p.bp_notes, note), 1);
	assert_int_equal(fx_count(p.customer_message, message), 1);
	assert_int_equal(fx_count(p.bp_notes, message),
			 c->message_cf[0] ? 0 : 1);
	/* the merchant's edit reached Brightpearl once, pearlsync's copy of
	 * the Brightpearl note did not go back */
	assert_int_equal(fx_count(p.bp_notes, extra), c->staff_cf[0] ? 0 : 1);
	assert_int_equal(fx_count(p.bp_notes, "[BP note"), 0);
	picture_dispose(&p);
}

static void
test_notes_stay_put_in_every_field_combination(void **state)
{
	static const notes_case cases[] = {
		{"staff_notes", "", ""},
		{"customer_message", "", ""},
		{"staff_notes", "PCF_SOURCE", ""},
		{"customer_message", "", "PCF_SOURCE"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		one_notes_case(&cases[i], (int)i + 1);
}

/* ---- statuses ----------------------------------------------------------- */

/* A Brightpearl cancel reaches BigCommerce and stays: the import does not
 * take BigCommerce's new status for a merchant's edit. */
static void
test_brightpearl_cancel_stays_cancelled(void **state)
{
	picture p;
	int64_t bc_id = place_order("", "", 11),
		bp_id = fx_bp_order_of(&fx, bc_id);

	(void)state;
	fx_bp_status_set(&fx, bp_id, 5);
	assert_true(fx_rounds_until(&fx, bc_status_is, bc_id * 100 + 5,
				    DEADLINE_MS));
	rounds_stay_put(&p, bc_id);
	assert_int_equal(p.bc_status, 5);
	assert_int_equal(p.bp_status, 5);
	picture_dispose(&p);
	/* the status entry says which order and how it ships */
	{
		ps_log_entry *rows = NULL;
		size_t n = flow_entries(&rows, "status_export_bc"), i, seen = 0;
		char num[32];

		snprintf(num, sizeof(num), "%" PRId64, bc_id);
		for (i = 0; i < n; i++) {
			if (rows[i].order_number == NULL ||
			    strcmp(rows[i].order_number, num) != 0)
				continue;
			seen++;
			assert_non_null(rows[i].shipping_method);
			assert_true(rows[i].shipping_method[0] != '\0');
		}
		ps_log_entries_free(rows, n);
		assert_true(seen >= 1);
	}
}

/* With notes off, a Brightpearl note records nothing (no entry left
 * pending for ever) and reaches nothing. */
static void
test_notes_off_records_nothing(void **state)
{
	char body[160];
	ps_log_entry *rows = NULL;
	picture p;
	size_t before, after;
	int64_t bc_id, bp_id;

	(void)state;
	fx_set(&fx, "bigcommerce.notes.enabled", "false");
	before = flow_entries(&rows, "notes_bc");
	ps_log_entries_free(rows, before);
	bc_id = place_order("", "", 11);
	bp_id = fx_bp_order_of(&fx, bc_id);
	snprintf(body, sizeof(body),
		 "{\"orderId\":%" PRId64 ",\"text\":\"Not for the store\"}",
		 bp_id);
	fx_ctl_ok(&fx, "POST", "/brightpearl/note", body);
	rounds_stay_put(&p, bc_id);
	assert_int_equal(fx_count(p.staff_notes, "Not for the store"), 0);
	picture_dispose(&p);
	after = flow_entries(&rows, "notes_bc");
	ps_log_entries_free(rows, after);
	assert_int_equal(after, before);
	fx_set(&fx, "bigcommerce.notes.enabled", "true");
}

/* A BigCommerce status change reaches Brightpearl and stays: the status
 * export does not send the mapped status back. */
static void
test_bigcommerce_status_edit_stays(void **state)
{
	char path[64];
	picture p;
	int64_t bc_id = place_order("", "", 11);

	(void)state;
	snprintf(path, sizeof(path), "/bigcommerce/orders/%" PRId64 "/status",
		 bc_id);
	fx_ctl_ok(&fx, "POST", path, "{\"status_id\":9}");
	assert_true(fx_rounds_until(&fx, bp_status_is, bc_id * 100 + 7,
				    DEADLINE_MS));
	rounds_stay_put(&p, bc_id);
	assert_int_equal(p.bc_status, 9);
	assert_int_equal(p.bp_status, 7);
	picture_dispose(&p);
}

static int
has_shipment(int64_t bc_id)
{
	ps_bc_shipment_list sl = {NULL, 0};
	size_t n;

	assert_int_equal(ps_bc_shipments_list(&sl, fx.bc, bc_id), 0);
	n = sl.count;
	ps_bc_shipment_list_dispose(&sl);
	return n > 0;
}

/* A shipped goods-out note becomes a BigCommerce shipment; BigCommerce's
 * move to Shipped does not set the Brightpearl order back. */
static void
test_shipment_does_not_set_brightpearl_back(void **state)
{
	picture p;
	int64_t bc_id = place_order("", "", 11),
		bp_id = fx_bp_order_of(&fx, bc_id);

	(void)state;
	/* the merchant moves the order on, then ships it */
	fx_bp_status_set(&fx, bp_id, 7);
	fx_ship(&fx, bp_id, NULL, "1Z999");
	assert_true(fx_rounds_until(&fx, has_shipment, bc_id, DEADLINE_MS));
	rounds_stay_put(&p, bc_id);
	assert_int_equal(p.shipments, 1);
	assert_int_equal(p.bc_status, 2);
	assert_int_equal(p.bp_status, 7);
	picture_dispose(&p);
}

/*
 * Shipped orders with no default BigCommerce -> Brightpearl status (no
 * default row, no bigcommerce.defaults.order_status_id): BigCommerce's Shipped
 * is pearlsync's own doing, so no entry fails for want of a mapping.
 */
static void
test_shipped_orders_need_no_default_status(void **state)
{
	picture p;
	int64_t bc_id[3];
	size_t i;

	(void)state;
	assert_int_equal(ps_store_mapping_remove(NULL, fx.st, "order_status",
						 "bc>bp", NULL, "test",
						 flow_fixture_now_ms()),
			 0);
	fx_set(&fx, "bigcommerce.defaults.order_status_id", "");
	for (i = 0; i < 3; i++) {
		bc_id[i] = place_order("", "", 11);
		fx_ship(&fx, fx_bp_order_of(&fx, bc_id[i]), NULL, "1Z555");
	}
	for (i = 0; i < 3; i++)
		assert_true(fx_rounds_until(&fx, has_shipment, bc_id[i],
					    DEADLINE_MS));
	rounds_stay_put(&p, bc_id[2]); /* also: no entry failed */
	assert_int_equal(p.bc_status, 2);
	assert_int_equal(p.bp_status, 2);
	picture_dispose(&p);
	fx_map(&fx, "order_status", "bc>bp", "", "2");
	fx_set(&fx, "bigcommerce.defaults.order_status_id", "2");
}

/* The status trigger: the order reaching Brightpearl's Shipped status
 * gets its shipment, and neither BigCommerce's Shipped nor the status
 * export's write sets the Brightpearl order back. */
static void
test_status_trigger_shipment_stays(void **state)
{
	picture p;
	int64_t bc_id, bp_id;

	(void)state;
	fx_set(&fx, "bigcommerce.fulfilment.trigger", "status");
	fx_set(&fx, "bigcommerce.fulfilment.trigger_status", "8");
	bc_id = place_order("", "", 11);
	bp_id = fx_bp_order_of(&fx, bc_id);
	fx_ship(&fx, bp_id, NULL, "1Z777");
	fx_bp_status_set(&fx, bp_id, 8);
	assert_true(fx_rounds_until(&fx, has_shipment, bc_id, DEADLINE_MS));
	rounds_stay_put(&p, bc_id);
	assert_int_equal(p.shipments, 1);
	assert_int_equal(p.bc_status, 2);
	assert_int_equal(p.bp_status, 8);
	picture_dispose(&p);
	fx_set(&fx, "bigcommerce.fulfilment.trigger", "goods_out");
}

/* ---- fixture ------------------------------------------------------------ */

static int
setup(void **state)
{
	*state = &fx;
	if (flow_fixture_open(&fx, NULL) < 0)
		return -1;
	ps_log_set_level(PS_LOG_ERROR);

	/* as the setup steps leave it, with notes on and the statuses
	 * the tests move mapped too */
	if (flow_fixture_setup_steps(&fx) < 0)
		return -1;
	fx_set(&fx, "bigcommerce.notes.enabled", "true");
	fx_map(&fx, "order_status", "bc>bp", "5", "5");
	fx_map(&fx, "order_status", "bp>bc", "5", "5");
	fx_map(&fx, "order_status", "bp>bc", "7", "9");
	fx_map(&fx, "order_status", "bp>bc", "8", "2");

	if (flow_fixture_start_worker(&fx, NULL) < 0)
		return -1;
	/* the first pass registers the webhooks and imports the demo
	 * store's orders */
	if (ps_worker_run_once(fx.worker, NULL) < 0)
		return -1;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_notes_stay_put_in_every_field_combination),
		cmocka_unit_test(test_brightpearl_cancel_stays_cancelled),
		cmocka_unit_test(test_notes_off_records_nothing),
		cmocka_unit_test(test_bigcommerce_status_edit_stays),
		cmocka_unit_test(test_shipment_does_not_set_brightpearl_back),
		cmocka_unit_test(test_status_trigger_shipment_stays),
		cmocka_unit_test(test_shipped_orders_need_no_default_status),
	};

	return cmocka_run_group_tests(tests, setup, flow_fixture_teardown);
}
