/*
 * test_order_import_plan.c - the pure part of the BigCommerce order import:
 * rows and totals to the cent (tax exclusive and inclusive, coupons,
 * shipping, other currencies, rounding), the checks that stop an import
 * (unknown SKU, unmapped status, missing settings, unmapped payment
 * method), payments, notes and the filters; the tax code of every row
 * and the refusal of a row whose code cannot be decided.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "flows/bigcommerce/order_import_int.h"

static char E[1];

#define M(units, cents) ((ps_money)(units)*10000 + (ps_money)(cents)*100)

typedef struct fixture {
	ps_bc_order o;
	ps_bc_order_product lines[4];
	ps_bc_shipping_address ship;
	ps_bc_transaction txn[2];
	ps_bc_transaction_list txns;
	ps_oib_settings s;
	ps_oib_resolved r;
	int64_t pids[4];
	const char *codes[2];
	char status[32], sku[4][16], name[4][32], email[32], method[32];
	char currency[8], cmsg[64], staff[64], statuses[16], gateway[16];
	char first[16];
	char tax_default[8];
} fixture;

static void
blank_address(ps_bc_address *a)
{
	a->first_name = a->last_name = a->company = E;
	a->street_1 = a->street_2 = a->city = a->state = a->zip = E;
	a->country = a->country_iso2 = a->phone = a->email = E;
}

/* A tax-exclusive order of two lines at 20% tax plus 5.00 shipping. */
static fixture *
fixture_new(void)
{
	fixture *f = calloc(1, sizeof(*f));
	ps_bc_order *o;
	size_t i;

	assert_non_null(f);
	o = &f->o;
	snprintf(f->status, sizeof(f->status), "%s", "Awaiting Fulfillment");
	snprintf(f->currency, sizeof(f->currency), "%s", "USD");
	snprintf(f->email, sizeof(f->email), "%s", "ada@example.com");
	snprintf(f->first, sizeof(f->first), "%s", "Ada");
	snprintf(f->method, sizeof(f->method), "%s", "Standard");
	snprintf(f->statuses, sizeof(f->statuses), "%s", "11");
	snprintf(f->gateway, sizeof(f->gateway), "%s", "stripe");
	o->id = 120;
	/* fee classes unknown unless a test sets them (0 is a class) */
	o->shipping_cost_tax_class_id = -1;
	o->handling_cost_tax_class_id = -1;
	o->wrapping_cost_tax_class_id = -1;
	o->customer_id = 1;
	o->status_id = 11;
	o->status = f->status;
	o->date_created = 1700000000;
	o->currency_code = o->default_currency_code = f->currency;
	o->payment_method = o->payment_status = o->payment_provider_id = E;
	o->customer_message = o->staff_notes = E;
	o->order_source = o->external_source = o->external_id = E;
	blank_address(&o->billing_address);
	o->billing_address.email = f->email;
	o->billing_address.first_name = f->first;
	for (i = 0; i < 2; i++) {
		ps_bc_order_product *l = &f->lines[i];

		snprintf(f->sku[i], sizeof(f->sku[i]), "SKU-%zu", i + 1);
		snprintf(f->name[i], sizeof(f->name[i]), "Thing %zu", i + 1);
		l->id = 1000 + (int64_t)i;
		l->sku = f->sku[i];
		l->name = f->name[i];
		l->type = E;
		l->quantity = (int64_t)i + 1;
		l->price_ex_tax = M(10, 0);
		l->total_ex_tax = M(10, 0) * l->quantity;
		l->total_tax = M(2, 0) * l->quantity;
		l->total_inc_tax = l->total_ex_tax + l->total_tax;
		f->pids[i] = 1001 + (int64_t)i;
	}
	o->products = f->lines;
	o->nproducts = 2;
	blank_address(&f->ship.address);
	f->ship.shipping_method = f->method;
	o->shipping_addresses = &f->ship;
	o->nshipping_addresses = 1;
	o->shipping_cost_ex_tax = M(5, 0);
	o->shipping_cost_inc_tax = M(6, 0);
	o->total_ex_tax = M(35, 0);
	o->total_inc_tax = M(42, 0);
	o->total_tax = M(7, 0);

	f->s.import_statuses = f->statuses;
	f->s.import_guests = 1;
	f->s.channel_id = 1;
	f->s.warehouse_id = 2;
	f->s.match_field = PS_BP_IDENTITY_SKU;
	f->s.captured_only = 1;
	snprintf(f->tax_default, sizeof(f->tax_default), "%s", "T");
	f->s.tax_code = f->tax_default;
	f->r.customer_id = 201;
	f->r.status_id = 2;
	f->r.shipping_method_id = 6;
	f->r.product_ids = f->pids;
	for (i = 0; i < 2; i++) {
		ps_bc_transaction *t = &f->txn[i];

		t->id = 77 + (int64_t)i;
		t->event_name = t->method = t->currency = E;
		t->gateway = f->gateway;
		t->gateway_transaction_id = t->payment_method_id = E;
		t->ok = 1;
		t->amount = M(42, 0);
	}
	f->txn[0].captured = 1;
	f->txn[1].authorized = 1;
	f->txns.items = f->txn;
	f->txns.count = 1;
	f->codes[0] = f->codes[1] = "BIGCOMMERCE";
	f->r.payment_codes = f->codes;
	return f;
}

static ps_money
row_sum(const ps_oib_plan *p)
{
	ps_money t = 0;
	size_t i;

	for (i = 0; i < p->order.nrows; i++)
		t += p->order.rows[i].net + p->order.rows[i].tax;
	return t;
}

static void
test_plan__tax_exclusive_lines_and_shipping(void **state)
{
	fixture *f = fixture_new();
	ps_oib_plan p;

	(void)state;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	assert_int_equal(p.order.nrows, 3); /* two lines and shipping */
	assert_int_equal(p.order.rows[0].product_id, 1001);
	assert_int_equal(p.order.rows[1].quantity, 2);
	assert_int_equal(p.order.rows[1].net, M(20, 0));
	assert_int_equal(p.order.rows[2].net, M(5, 0));
	assert_int_equal(p.order.rows[2].tax, M(1, 0));
	assert_non_null(strstr(p.order.rows[2].name, "Standard"));
	assert_int_equal(row_sum(&p), f->o.total_inc_tax);
	assert_int_equal(p.total, M(42, 0));
	assert_string_equal(p.order.external_ref, "120");
	assert_string_equal(p.order.price_mode, "EXC");
	assert_int_equal(p.order.customer_id, 201);
	assert_int_equal(p.order.warehouse_id, 2);
	assert_int_equal(p.order.shipping_method_id, 6);
	assert_int_equal(p.nreserve, 2);
	assert_int_equal(p.create_contact, 0);
	ps_oib__plan_dispose(&p);
	free(f);
}

static void
test_plan__tax_inclusive_with_coupon_matches_to_the_cent(void **state)
{
	fixture *f = fixture_new();
	ps_oib_plan p;
	size_t i;

	(void)state;
	/* inclusive prices 12.00 each (10.00 + 2.00), coupon 3.60 inc tax */
	f->o.is_tax_inclusive_pricing = 1;
	f->o.coupon_discount = M(3, 60);
	f->o.total_inc_tax = M(42, 0) - M(3, 60);
	f->o.total_ex_tax = M(35, 0) - M(3, 0);
	f->o.total_tax = f->o.total_inc_tax - f->o.total_ex_tax;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	assert_int_equal(p.order.nrows, 4);
	assert_non_null(strstr(p.order.rows[3].name, "coupon 3.60"));
	assert_int_equal(p.order.rows[3].net, -M(3, 0));
	assert_int_equal(p.order.rows[3].tax, -M(0, 60));
	assert_int_equal(row_sum(&p), M(38, 40));
	assert_int_equal(p.total_net, f->o.total_ex_tax);
	assert_string_equal(p.order.price_mode, "INC");
	for (i = 0; i < p.order.nrows; i++)
		assert_int_equal(p.order.rows[i].net % 100, 0);
	ps_oib__plan_dispose(&p);
	free(f);
}

static void
test_plan__other_currency_and_prefix(void **state)
{
	fixture *f = fixture_new();
	ps_oib_plan p;
	char *text = NULL;

	(void)state;
	snprintf(f->currency, sizeof(f->currency), "%s", "GBP");
	f->s.reference_prefix = (char *)"BC-";
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	assert_string_equal(p.order.currency, "GBP");
	assert_string_equal(p.order.external_ref, "BC-120");
	assert_int_equal(ps_oib__plan_render(&text, &p), 0);
	assert_non_null(strstr(text, "POST /order-service/sales-order"));
	assert_non_null(strstr(text, "externalRef: BC-120"));
	assert_non_null(strstr(text, "currency GBP"));
	assert_non_null(strstr(text, "Why:"));
	free(text);
	ps_oib__plan_dispose(&p);
	free(f);
}

static void
test_plan__rounding_to_the_cent(void **state)
{
	fixture *f = fixture_new();
	ps_oib_plan p;

	(void)state;
	/* three at 3.3333: the line is 9.9999, BigCommerce's total 10.00 */
	f->lines[0].quantity = 3;
	f->lines[0].total_ex_tax = 99999;
	f->lines[0].total_tax = 0;
	f->o.nproducts = 1;
	f->o.shipping_cost_ex_tax = f->o.shipping_cost_inc_tax = 0;
	f->o.total_ex_tax = M(10, 1);
	f->o.total_inc_tax = M(10, 1);
	f->o.total_tax = 0;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	assert_int_equal(p.order.rows[0].net, M(10, 0));
	assert_int_equal(p.order.nrows, 2);
	assert_string_equal(p.order.rows[1].name, "Rounding adjustment");
	assert_int_equal(p.order.rows[1].net, M(0, 1));
	assert_int_equal(row_sum(&p), M(10, 1));
	ps_oib__plan_dispose(&p);
	free(f);
}

/* Build f's plan expecting PS_EDATA whose reason holds want. */
static void
refused(fixture *f, const char *want)
{
	ps_oib_plan p;

	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 PS_EDATA);
	if (strstr(ps_error_last(), want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", ps_error_last(), want);
	ps_oib__plan_dispose(&p);
}

/*
 * Totals that disagree with their rows by more than rounding (a cent a
 * row, plus one: 0.04 for two lines and shipping) and the discounts are
 * refused naming the field, not forced with an adjustment row.
 */
static void
test_plan__inconsistent_totals_refused_not_forced(void **state)
{
	fixture *f = fixture_new();
	ps_oib_plan p;

	(void)state;
	/* within rounding: an adjustment row of 0.04 tax */
	f->o.total_inc_tax = M(42, 4);
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	assert_int_equal(p.order.nrows, 4);
	assert_string_equal(p.order.rows[3].name, "Rounding adjustment");
	assert_int_equal(p.order.rows[3].tax, M(0, 4));
	assert_int_equal(row_sum(&p), M(42, 4));
	ps_oib__plan_dispose(&p);

	/* a cent more is not rounding */
	f->o.total_inc_tax = M(42, 5);
	refused(f, "BigCommerce order 120: field 'total_inc_tax' (42.05)");
	/* +62.00 on both totals: the net is off */
	f->o.total_ex_tax = M(97, 0);
	f->o.total_inc_tax = M(104, 0);
	refused(f, "field 'total_ex_tax' (97.00) does not match the order's "
		   "rows: off by 62.00");
	/* -56.32 with no discount to explain it */
	f->o.total_ex_tax = M(35, 0);
	f->o.total_inc_tax = M(42, 0) - M(56, 32);
	refused(f, "field 'total_inc_tax' (-14.32)");
	/* nor with a coupon of 3.60 */
	f->o.coupon_discount = M(3, 60);
	refused(f, "discounts (3.60)");
	/* a coupon explains a lower total, not a higher one */
	f->o.total_ex_tax = M(35, 0) + M(3, 0);
	f->o.total_inc_tax = M(42, 0) + M(3, 60);
	refused(f, "'total_ex_tax'");
	free(f);
}

/* A line of quantity 0 or -1 is refused, not made a row. */
static void
test_plan__quantity_below_one_refused(void **state)
{
	fixture *f = fixture_new();

	(void)state;
	f->lines[1].quantity = 0;
	refused(f, "BigCommerce order 120 line 1001 ('Thing 2'): field "
		   "'quantity' is 0; a line needs at least 1");
	f->lines[1].quantity = -1;
	refused(f, "field 'quantity' is -1");
	free(f);
}

/*
 * Amounts at the ends of ps_money's range (corrupt data) fail the order
 * naming the field instead of wrapping around (which UBSan aborts on, and
 * which once made a 44,674,407,371,003.11 adjustment row).
 */
static void
test_plan__amounts_that_overflow_refused(void **state)
{
	fixture *f = fixture_new();

	(void)state;
	f->lines[0].total_ex_tax = INT64_MAX - 7;
	f->lines[1].total_ex_tax = INT64_MAX - 7;
	refused(f, "field 'total_ex_tax' is out of range");
	f->lines[0].total_ex_tax = f->lines[1].total_ex_tax = M(10, 0);
	f->lines[0].total_tax = INT64_MIN + 8;
	f->lines[1].total_tax = -M(1, 0);
	refused(f, "field 'total_tax' is out of range");
	f->lines[0].total_tax = f->lines[1].total_tax = M(2, 0);
	f->o.shipping_cost_ex_tax = INT64_MIN + 8;
	f->o.shipping_cost_inc_tax = M(6, 0);
	refused(f, "field 'shipping_cost_inc_tax' is out of range");
	f->o.shipping_cost_ex_tax = M(5, 0);
	f->o.handling_cost_ex_tax = -M(1, 0);
	f->o.handling_cost_inc_tax = INT64_MAX - 7;
	refused(f, "field 'handling_cost_inc_tax' is out of range");
	f->o.handling_cost_ex_tax = f->o.handling_cost_inc_tax = 0;
	f->o.total_ex_tax = INT64_MIN + 8;
	refused(f, "field 'total_inc_tax' is out of range");
	f->o.total_ex_tax = M(35, 0);
	f->o.coupon_discount = f->o.discount_amount = INT64_MAX / 2 + 1;
	refused(f, "field 'coupon_discount' is out of range");
	free(f);
}

static void
test_plan__unknown_sku_names_it(void **state)
{
	fixture *f = fixture_new();
	ps_oib_plan p;

	(void)state;
	f->pids[1] = 0;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 PS_EDATA);
	assert_non_null(strstr(ps_error_last(), "SKU 'SKU-2'"));
	ps_oib__plan_dispose(&p);
	free(f);
}

static void
test_plan__unmapped_status_and_missing_settings(void **state)
{
	fixture *f = fixture_new();
	ps_oib_plan p;

	(void)state;
	f->r.status_id = 0;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 PS_EMAPPING);
	assert_non_null(strstr(ps_error_last(), "Awaiting Fulfillment"));
	ps_oib__plan_dispose(&p);
	f->r.status_id = 2;
	f->s.warehouse_id = 0;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 PS_ESETTING);
	assert_string_equal(
		ps_error_last(),
		"waiting for setting bigcommerce.defaults.warehouse_id");
	ps_oib__plan_dispose(&p);
	f->s.warehouse_id = 2;
	f->s.channel_id = 0;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 PS_ESETTING);
	assert_string_equal(
		ps_error_last(),
		"waiting for setting bigcommerce.defaults.channel_id");
	ps_oib__plan_dispose(&p);
	free(f);
}

/* The payment the order itself describes (ps_bc_order_payment), and the
 * plan's reference for it; what leaves it open sends to the read. */
static void
test_plan__payment_from_the_order(void **state)
{
	fixture *f = fixture_new();
	ps_bc_transaction_list l;
	ps_oib_plan p;
	char why[128];

	(void)state;
	f->o.payment_status = (char *)"captured";
	f->o.payment_provider_id = (char *)"gw-1";
	f->o.date_modified = f->o.date_created + 5;
	assert_int_equal(ps_bc_order_payment(&l, &f->o, why, sizeof(why)), 1);
	assert_int_equal(l.count, 1);
	assert_true(l.items[0].from_order && l.items[0].captured);
	assert_int_equal(l.items[0].amount, M(42, 0));
	f->s.payments_enabled = 1;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &l, &f->s, &f->r), 0);
	assert_int_equal(p.npayments, 1);
	assert_string_equal(p.payments[0].p.transaction_ref, "bc-ord-120");
	assert_string_equal(p.payments[0].p.transaction_code, "gw-1");
	assert_string_equal(p.payments[0].p.type, "RECEIPT");
	assert_string_equal(p.payments[0].p.currency, "USD");
	assert_int_equal(p.payments[0].p.amount, M(42, 0));
	ps_oib__plan_dispose(&p);
	ps_bc_transaction_list_dispose(&l);

	/* an authorisation: skipped with captured_only */
	f->o.payment_status = (char *)"authorized";
	assert_int_equal(ps_bc_order_payment(&l, &f->o, why, sizeof(why)), 1);
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &l, &f->s, &f->r), 0);
	assert_int_equal(p.npayments, 0);
	ps_oib__plan_dispose(&p);
	ps_bc_transaction_list_dispose(&l);

	/* what the order leaves open */
	f->o.payment_status = (char *)"capture pending";
	assert_int_equal(ps_bc_order_payment(&l, &f->o, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "capture pending"));
	f->o.payment_status = (char *)"captured";
	f->o.store_credit_amount = M(5, 0);
	assert_int_equal(ps_bc_order_payment(&l, &f->o, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "split tender"));
	f->o.store_credit_amount = 0;
	f->o.gift_certificate_amount = M(1, 0);
	assert_int_equal(ps_bc_order_payment(&l, &f->o, why, sizeof(why)), 0);
	f->o.gift_certificate_amount = 0;
	f->o.refunded_amount = M(1, 0);
	assert_int_equal(ps_bc_order_payment(&l, &f->o, why, sizeof(why)), 0);
	f->o.refunded_amount = 0;
	f->o.payment_provider_id = E;
	assert_int_equal(ps_bc_order_payment(&l, &f->o, why, sizeof(why)), 0);
	f->o.payment_provider_id = (char *)"gw-1";
	f->o.date_modified =
		f->o.date_created + PS_BC_ORDER_PAYMENT_SETTLE_S + 1;
	assert_int_equal(ps_bc_order_payment(&l, &f->o, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "changed after"));
	assert_int_equal(l.count, 0);
	free(f);
}

static void
test_plan__payments_captured_and_authorised(void **state)
{
	fixture *f = fixture_new();
	ps_oib_plan p;

	(void)state;
	f->txns.count = 2;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	assert_int_equal(p.npayments,
			 0); /* bigcommerce.payments.enabled is off */
	ps_oib__plan_dispose(&p);
	f->s.payments_enabled = 1;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	assert_int_equal(p.npayments, 1); /* captured only */
	assert_string_equal(p.payments[0].p.type, "RECEIPT");
	assert_string_equal(p.payments[0].p.transaction_ref, "bc-txn-77");
	assert_string_equal(p.payments[0].p.method_code, "BIGCOMMERCE");
	assert_int_equal(p.payments[0].p.amount, M(42, 0));
	ps_oib__plan_dispose(&p);
	f->s.captured_only = 0;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	assert_int_equal(p.npayments, 2);
	assert_string_equal(p.payments[1].p.type, "AUTH");
	assert_non_null(p.payments[1].p.auth_expiry);
	ps_oib__plan_dispose(&p);
	f->codes[0] = NULL;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 PS_EMAPPING);
	assert_non_null(strstr(ps_error_last(), "stripe"));
	ps_oib__plan_dispose(&p);
	free(f);
}

static void
test_plan__notes_into_fields_or_order_notes(void **state)
{
	fixture *f = fixture_new();
	ps_oib_plan p;

	(void)state;
	snprintf(f->cmsg, sizeof(f->cmsg), "%s", "Leave at the door");
	snprintf(f->staff, sizeof(f->staff), "%s", "VIP");
	f->o.customer_message = f->cmsg;
	f->o.staff_notes = f->staff;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	assert_int_equal(p.nfields, 0);
	assert_int_equal(p.nnotes, 2);
	assert_string_equal(p.notes[0], "Customer message: Leave at the door");
	assert_int_equal(p.note_public[0], 1);
	assert_int_equal(p.note_public[1], 0);
	ps_oib__plan_dispose(&p);
	f->s.customer_message_field = (char *)"PCF_SOURCE";
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	assert_int_equal(p.nfields, 1);
	assert_string_equal(p.fields[0].code, "PCF_SOURCE");
	assert_string_equal(p.fields[0].text, "Leave at the door");
	assert_int_equal(p.nnotes, 1);
	ps_oib__plan_dispose(&p);
	free(f);
}

static void
test_plan__filters_and_new_customer(void **state)
{
	fixture *f = fixture_new();
	ps_oib_plan p;
	char why[256];

	(void)state;
	assert_int_equal(ps_oib__importable(&f->s, &f->o, why, sizeof(why)), 1);
	f->o.status_id = 1;
	assert_int_equal(ps_oib__importable(&f->s, &f->o, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "bigcommerce.orders.import_statuses"));
	f->o.status_id = 11;
	f->s.start_date = f->o.date_created + 1;
	assert_int_equal(ps_oib__importable(&f->s, &f->o, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "bigcommerce.orders.start_date"));
	f->s.start_date = f->o.date_created;
	f->o.customer_id = 0;
	assert_int_equal(ps_oib__importable(&f->s, &f->o, why, sizeof(why)), 1);
	f->s.import_guests = 0;
	assert_int_equal(ps_oib__importable(&f->s, &f->o, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "guest"));
	f->r.customer_id = 0;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	assert_int_equal(p.create_contact, 1);
	assert_string_equal(p.contact.email, "ada@example.com");
	ps_oib__plan_dispose(&p);
	/* an update sends names and phone, never the email */
	f->r.customer_id = 201;
	f->r.update_customer = 1;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	assert_int_equal(p.update_contact, 1);
	assert_null(p.contact.email);
	assert_string_equal(p.contact.first_name, "Ada");
	ps_oib__plan_dispose(&p);
	free(f);
}

/* A varied order: a zero-rated line, shipping, gift wrapping, handling
 * and a coupon, each row with the code the tax_code mapping gives it. */
static void
test_plan__tax_code_on_every_row(void **state)
{
	fixture *f = fixture_new();
	const char *classes[2] = {NULL, "R"};
	ps_oib_plan p;
	char *text = NULL;
	size_t i;

	(void)state;
	/* line 1 zero-rated (no tax), line 2 of a mapped tax class */
	f->lines[0].total_tax = 0;
	f->lines[0].total_inc_tax = f->lines[0].total_ex_tax;
	f->o.wrapping_cost_ex_tax = M(2, 0);
	f->o.wrapping_cost_inc_tax = M(2, 40);
	f->o.handling_cost_ex_tax = M(1, 0);
	f->o.handling_cost_inc_tax = M(1, 0);
	f->o.coupon_discount = M(3, 0);
	f->o.total_ex_tax = M(35, 0) + M(3, 0) - M(3, 0);
	f->o.total_inc_tax = f->o.total_ex_tax + M(5, 40);
	f->r.tax_zero_rated = "Z";
	f->r.tax_shipping = "S";
	f->r.tax_gift_wrapping = "G";
	f->r.tax_discount = "D";
	f->r.product_tax_codes = classes;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	assert_int_equal(p.order.nrows, 6);
	assert_string_equal(p.order.rows[0].tax_code, "Z"); /* zero-rated */
	assert_string_equal(p.order.rows[1].tax_code, "R"); /* its class */
	assert_non_null(strstr(p.order.rows[2].name, "Shipping"));
	assert_string_equal(p.order.rows[2].tax_code, "S");
	assert_string_equal(p.order.rows[3].name, "Handling");
	/* no handling key: untaxed handling takes zero_rated */
	assert_string_equal(p.order.rows[3].tax_code, "Z");
	assert_string_equal(p.order.rows[4].name, "Gift wrapping");
	assert_string_equal(p.order.rows[4].tax_code, "G");
	assert_non_null(strstr(p.order.rows[5].name, "Discounts"));
	assert_string_equal(p.order.rows[5].tax_code, "D");
	assert_int_equal(row_sum(&p), f->o.total_inc_tax);
	for (i = 0; i < p.order.nrows; i++)
		assert_non_null(p.order.rows[i].tax_code);
	/* the preview shows the codes and why */
	assert_int_equal(ps_oib__plan_render(&text, &p), 0);
	assert_non_null(strstr(text, "tax code Z"));
	assert_non_null(strstr(text, "tax code G"));
	assert_non_null(strstr(text, "line 1000 ('Thing 1'): tax code Z "
				     "(no tax: mapping tax_code bc>bp "
				     "zero_rated)"));
	assert_non_null(strstr(text, "shipping row: tax code S (mapping "
				     "tax_code bc>bp shipping)"));
	free(text);
	ps_oib__plan_dispose(&p);

	/* without the mapping every row falls back to the default */
	f->r.tax_zero_rated = f->r.tax_shipping = NULL;
	f->r.tax_gift_wrapping = f->r.tax_discount = NULL;
	f->r.product_tax_codes = NULL;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	for (i = 0; i < p.order.nrows; i++)
		assert_string_equal(p.order.rows[i].tax_code, "T");
	assert_non_null(strstr(p.why, "shipping row: tax code T "
				      "(bigcommerce.defaults.tax_code; "
				      "shipping unmapped)"));
	ps_oib__plan_dispose(&p);
	free(f);
}

/* No mapping and no default: the entry fails naming the line and what to
 * set, instead of sending a code the merchant never chose. */
static void
test_plan__undecidable_tax_code_names_the_line(void **state)
{
	fixture *f = fixture_new();
	ps_oib_plan p;

	(void)state;
	f->s.tax_code = NULL;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 PS_EMAPPING);
	assert_non_null(strstr(ps_error_last(), "line 1000 ('Thing 1')"));
	assert_non_null(
		strstr(ps_error_last(), "set bigcommerce.defaults.tax_code"));
	ps_oib__plan_dispose(&p);

	/* a line with no tax also names the zero_rated key */
	f->lines[0].total_tax = 0;
	f->lines[0].total_inc_tax = f->lines[0].total_ex_tax;
	f->o.total_inc_tax -= M(2, 0);
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 PS_EMAPPING);
	assert_non_null(strstr(ps_error_last(), "line 1000 ('Thing 1')"));
	assert_non_null(strstr(ps_error_last(),
			       "tax_code mapping (bc>bp) "
			       "for its BigCommerce tax class id or "
			       "zero_rated or set "
			       "bigcommerce.defaults.tax_code"));
	ps_oib__plan_dispose(&p);

	/* lines covered by their class, shipping still not: names shipping */
	{
		const char *classes[2] = {"T", "T"};

		f->r.product_tax_codes = classes;
		assert_int_equal(
			ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			PS_EMAPPING);
		assert_non_null(strstr(ps_error_last(),
				       "BigCommerce order 120 shipping row"));
		assert_non_null(strstr(ps_error_last(), "for shipping or set"));
		ps_oib__plan_dispose(&p);
		/* a zero-rated mapping does not cover taxed shipping */
		f->r.tax_zero_rated = "Z";
		assert_int_equal(
			ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			PS_EMAPPING);
		ps_oib__plan_dispose(&p);
		f->r.tax_shipping = "S";
		assert_int_equal(
			ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			0);
		assert_string_equal(p.order.rows[2].tax_code, "S");
		ps_oib__plan_dispose(&p);
	}
	free(f);
}

/* Lines take the code of their BigCommerce tax class (read from the
 * order's taxes); fees take their class's code before their own key. */
static void
test_plan__tax_code_by_tax_class(void **state)
{
	fixture *f = fixture_new();
	const char *codes[2] = {"T20", "T5"};
	const int64_t classes[2] = {0, 4};
	ps_oib_plan p;

	(void)state;
	f->o.wrapping_cost_ex_tax = M(2, 0);
	f->o.wrapping_cost_inc_tax = M(2, 40);
	f->o.total_ex_tax += M(2, 0);
	f->o.total_inc_tax += M(2, 40);
	f->o.shipping_cost_tax_class_id = 2;
	f->o.wrapping_cost_tax_class_id = 3;
	f->r.product_tax_codes = codes;
	f->r.product_tax_classes = classes;
	f->r.tax_shipping = "S";
	f->r.tax_shipping_class = "SC";
	f->r.tax_gift_wrapping = "G";
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	assert_int_equal(p.order.nrows, 4);
	assert_string_equal(p.order.rows[0].tax_code, "T20");
	assert_string_equal(p.order.rows[1].tax_code, "T5");
	/* shipping: its class's code wins over the shipping key */
	assert_string_equal(p.order.rows[2].tax_code, "SC");
	/* gift wrapping's class 3 is unmapped: the key falls back */
	assert_string_equal(p.order.rows[3].tax_code, "G");
	assert_non_null(strstr(p.why, "line 1001 ('Thing 2'): tax code T5 "
				      "(mapping tax_code bc>bp of "
				      "BigCommerce tax class 4)"));
	assert_non_null(strstr(p.why, "shipping row: tax code SC (mapping "
				      "tax_code bc>bp BigCommerce tax class "
				      "2, before shipping)"));
	assert_int_equal(row_sum(&p), f->o.total_inc_tax);
	ps_oib__plan_dispose(&p);

	/* line 2's class unmapped, no default: the error names the class
	 * and the key to add */
	codes[1] = NULL;
	f->s.tax_code = NULL;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 PS_EMAPPING);
	assert_string_equal(ps_error_last(),
			    "BigCommerce order 120 line 1001 ('Thing 2') has "
			    "no Brightpearl tax code: add a tax_code mapping "
			    "(bc>bp) for BigCommerce tax class 4 (key \"4\") "
			    "or set bigcommerce.defaults.tax_code");
	ps_oib__plan_dispose(&p);
	/* with the default, the line takes it and says its class is
	 * unmapped */
	f->s.tax_code = f->tax_default;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	assert_string_equal(p.order.rows[1].tax_code, f->tax_default);
	assert_non_null(strstr(p.why, "BigCommerce tax class 4 unmapped"));
	ps_oib__plan_dispose(&p);

	/* a fee whose class and key are both unmapped names both */
	f->s.tax_code = NULL;
	codes[1] = "T5";
	f->r.tax_shipping = f->r.tax_shipping_class = NULL;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 PS_EMAPPING);
	assert_non_null(strstr(ps_error_last(),
			       "shipping row has no Brightpearl tax code: add "
			       "a tax_code mapping (bc>bp) for BigCommerce "
			       "tax class 2 (key \"2\") or shipping or set"));
	ps_oib__plan_dispose(&p);
	free(f);
}

/* Reservation lines take the order's rows: a product's n-th line its
 * n-th row by row id, whatever order the rows are read in. */
static void
test_plan__reservation_lines_take_their_rows(void **state)
{
	ps_bp_reservation_line lines[3] = {
		{1001, 0, 2}, {1002, 0, 1}, {1001, 0, 3}};
	const ps_bp_order_row rows[] = {
		{.id = 1005, .product_id = 1001},
		{.id = 1006, .product_id = 0}, /* shipping */
		{.id = 1003, .product_id = 1001},
		{.id = 1004, .product_id = 1002},
	};
	ps_oib_plan p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.reserve = lines;
	p.nreserve = 3;
	assert_int_equal(ps_oib__reserve_rows(&p, rows, 4), 0);
	assert_int_equal(lines[0].row_id, 1003);
	assert_int_equal(lines[1].row_id, 1004);
	assert_int_equal(lines[2].row_id, 1005);
	assert_int_equal(lines[2].quantity, 3);
	/* a line with no row left is refused, naming the product */
	lines[0].row_id = lines[1].row_id = lines[2].row_id = 0;
	assert_int_equal(ps_oib__reserve_rows(&p, rows + 1, 3), PS_EDATA);
	assert_non_null(strstr(ps_error_last(), "product 1001"));
	ps_error_clear();
	/* nothing to reserve: nothing to match */
	p.nreserve = 0;
	assert_int_equal(ps_oib__reserve_rows(&p, NULL, 0), 0);
}

/* Billing and delivery carry the recipient's full name, company, phone
 * and email; countries go out as the 3-letter codes Brightpearl takes. */
static void
test_plan__addresses_full_names_and_alpha3(void **state)
{
	fixture *f = fixture_new();
	ps_bc_address *ship = &f->ship.address;
	ps_oib_plan p;
	char gb[] = "GB", us[] = "us", de[] = "DE", joan[] = "Joan",
	     clarke[] = "Clarke", co[] = "Bletchley Ltd", ph[] = "01908 640404",
	     em[] = "joan@example.com", last[] = "Lovelace";

	(void)state;
	f->o.billing_address.last_name = last;
	f->o.billing_address.country_iso2 = gb;
	ship->first_name = joan;
	ship->last_name = clarke;
	ship->company = co;
	ship->phone = ph;
	ship->email = em;
	ship->country_iso2 = us;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	assert_string_equal(p.order.billing.full_name, "Ada Lovelace");
	assert_string_equal(p.order.billing.country_iso, "GBR");
	assert_string_equal(p.order.delivery.full_name, "Joan Clarke");
	assert_string_equal(p.order.delivery.country_iso, "USA");
	assert_string_equal(p.order.delivery.company, "Bletchley Ltd");
	assert_string_equal(p.order.delivery.telephone, "01908 640404");
	assert_string_equal(p.order.delivery.email, "joan@example.com");
	ps_oib__plan_dispose(&p);

	/* a new contact's postal address is alpha-3 too */
	f->r.customer_id = 0;
	f->o.billing_address.country_iso2 = de;
	f->o.billing_address.street_1 = co;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	assert_string_equal(p.contact.address.country_iso, "DEU");
	ps_oib__plan_dispose(&p);
	free(f);
}

static void
test_plan__unknown_country_names_it(void **state)
{
	fixture *f = fixture_new();
	ps_oib_plan p;
	char xx[] = "XK", uk[] = "UK";

	(void)state;
	/* Kosovo's user-assigned XK and the common but unassigned UK are
	 * not ISO 3166-1 codes: the entry fails naming the code */
	f->ship.address.country_iso2 = xx;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 PS_EDATA);
	assert_non_null(strstr(ps_error_last(), "'XK'"));
	assert_non_null(strstr(ps_error_last(), "delivery address"));
	ps_oib__plan_dispose(&p);
	f->ship.address.country_iso2 = E;
	f->o.billing_address.country_iso2 = uk;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 PS_EDATA);
	assert_non_null(strstr(ps_error_last(), "'UK'"));
	assert_non_null(strstr(ps_error_last(), "billing address"));
	ps_oib__plan_dispose(&p);
	free(f);
}

/* The table: every assigned ISO 3166-1 code and nothing else. */
static void
test_plan__country_table_is_complete(void **state)
{
	static const char *const some[][2] = {
		{"GB", "GBR"}, {"US", "USA"},  {"DE", "DEU"},  {"FR", "FRA"},
		{"NL", "NLD"}, {"IE", "IRL"},  {"CH", "CHE"},  {"AT", "AUT"},
		{"ES", "ESP"}, {"JP", "JPN"},  {"KR", "KOR"},  {"ZA", "ZAF"},
		{"AX", "ALA"}, {"SS", "SSD"},  {"ZW", "ZWE"},  {"AD", "AND"},
		{"gb", "GBR"}, {"GBR", "GBR"}, {"usa", "USA"},
	};
	char code[3] = "";
	const char *seen[300];
	size_t i, j, n = 0;

	(void)state;
	for (i = 0; i < sizeof(some) / sizeof(some[0]); i++)
		assert_string_equal(ps_bp_country_iso3(some[i][0]), some[i][1]);
	assert_null(ps_bp_country_iso3(NULL));
	assert_null(ps_bp_country_iso3(""));
	assert_null(ps_bp_country_iso3("G"));
	assert_null(ps_bp_country_iso3("ZZZ"));
	assert_null(ps_bp_country_iso3("GBRX"));
	for (code[0] = 'A'; code[0] <= 'Z'; code[0]++) {
		for (code[1] = 'A'; code[1] <= 'Z'; code[1]++) {
			const char *a3 = ps_bp_country_iso3(code);

			if (a3 == NULL)
				continue;
			assert_int_equal(strlen(a3), 3);
			for (j = 0; j < n; j++)
				assert_true(seen[j] != a3);
			/* alpha-3 maps back to itself */
			assert_ptr_equal(ps_bp_country_iso3(a3), a3);
			seen[n++] = a3;
		}
	}
	/* 249 codes are officially assigned (ISO 3166-1, 2024) */
	assert_int_equal(n, 249);
	assert_int_equal(ps_bp_country_count(), 249);
}

/* A name over Brightpearl's 32 characters is cut (between UTF-8
 * characters), the full name kept in a private note, the summary says
 * so; the order is not refused. */
static void
test_plan__long_name_cut_with_note(void **state)
{
	fixture *f = fixture_new();
	ps_oib_plan p;
	char first[] = "Maximiliane-Éléonore-Ottilie-Friederike",
	     last[] = "von Hohenzollern",
	     exact[] = "Abcdefghijklmnopqrstuvwxyzabcdef";
	char *summary = NULL;
	size_t i, chars = 0;
	int found = 0;

	(void)state;
	f->o.billing_address.first_name = first;
	f->o.billing_address.last_name = last;
	f->r.customer_id = 0;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	for (i = 0; p.contact.first_name[i]; i++)
		chars +=
			((unsigned char)p.contact.first_name[i] & 0xc0) != 0x80;
	assert_int_equal(chars, PS_OIB_NAME_MAX);
	assert_string_equal(p.contact.first_name,
			    "Maximiliane-Éléonore-Ottilie-Fri");
	assert_string_equal(p.contact.last_name, "von Hohenzollern");
	assert_int_equal(p.name_cut, 1);
	for (i = 0; i < p.nnotes; i++) {
		if (strstr(p.notes[i], "Maximiliane-Éléonore-Ottilie-"
				       "Friederike von Hohenzollern") != NULL &&
		    !p.note_public[i])
			found = 1;
	}
	assert_true(found);
	/* the order's own recipient name is not cut */
	assert_string_equal(p.order.billing.full_name,
			    "Maximiliane-Éléonore-Ottilie-Friederike "
			    "von Hohenzollern");
	assert_int_equal(ps_oib__plan_summary(&summary, &p), 0);
	assert_non_null(strstr(summary, "name cut"));
	free(summary);
	ps_oib__plan_dispose(&p);

	/* exactly 32 characters is left alone, no note */
	f->o.billing_address.first_name = exact;
	assert_int_equal(ps_oib__plan_build(&p, &f->o, &f->txns, &f->s, &f->r),
			 0);
	assert_int_equal(p.name_cut, 0);
	assert_int_equal(p.nnotes, 0);
	ps_oib__plan_dispose(&p);
	free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan__tax_exclusive_lines_and_shipping),
		cmocka_unit_test(
			test_plan__tax_inclusive_with_coupon_matches_to_the_cent),
		cmocka_unit_test(test_plan__other_currency_and_prefix),
		cmocka_unit_test(test_plan__rounding_to_the_cent),
		cmocka_unit_test(
			test_plan__inconsistent_totals_refused_not_forced),
		cmocka_unit_test(test_plan__quantity_below_one_refused),
		cmocka_unit_test(test_plan__amounts_that_overflow_refused),
		cmocka_unit_test(test_plan__unknown_sku_names_it),
		cmocka_unit_test(
			test_plan__unmapped_status_and_missing_settings),
		cmocka_unit_test(test_plan__payments_captured_and_authorised),
		cmocka_unit_test(test_plan__payment_from_the_order),
		cmocka_unit_test(test_plan__notes_into_fields_or_order_notes),
		cmocka_unit_test(test_plan__filters_and_new_customer),
		cmocka_unit_test(test_plan__addresses_full_names_and_alpha3),
		cmocka_unit_test(test_plan__unknown_country_names_it),
		cmocka_unit_test(test_plan__country_table_is_complete),
		cmocka_unit_test(test_plan__long_name_cut_with_note),
		cmocka_unit_test(test_plan__tax_code_on_every_row),
		cmocka_unit_test(
			test_plan__undecidable_tax_code_names_the_line),
		cmocka_unit_test(test_plan__tax_code_by_tax_class),
		cmocka_unit_test(test_plan__reservation_lines_take_their_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
