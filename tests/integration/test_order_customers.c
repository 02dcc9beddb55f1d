/*
 * test_order_customers.c - which Brightpearl contact an imported order
 * belongs to, end to end through the worker (webhook listener on) against
 * pearlsync-sandbox.
 *
 * Orders are placed in the sandbox's BigCommerce store as a shopper would;
 * their store/order/created webhooks reach the worker's listener and the
 * order import files them in Brightpearl.  Every check reads the
 * sandbox's Brightpearl state: which contact each sales order names, and
 * how many contacts hold an email.  A registered customer who checks out
 * with a new email keeps one contact (the customer link), one order at a
 * time, in a batch, after a worker restart, and after the linked contact
 * was deleted; a supplier or staff member sharing a guest's email is
 * never the order's customer.
 */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "flow_fixture.h"
#include "pearlsync/log.h"
#include "pearlsync/worker.h"

#define DEADLINE_MS 20000

static flow_fixture fx;
static int64_t kim;         /* the registered BigCommerce customer */
static int64_t kim_contact; /* Kim's Brightpearl contact */

/* ---- the sandbox's picture ---------------------------------------------- */

/* The contact id of the Brightpearl order whose externalRef is bc_id's,
 * 0 while there is none. */
static int64_t
order_contact(int64_t bc_id)
{
	json_t *state = fx_ctl(&fx, "GET", "/brightpearl/state", NULL);
	json_t *o;
	const char *k, *ext;
	char want[32];
	int64_t id = 0;

	snprintf(want, sizeof(want), "%" PRId64, bc_id);
	json_object_foreach (json_object_get(state, "orders"), k, o) {
		ext = json_string_value(json_object_get(o, "externalRef"));
		if (ext == NULL || strcmp(ext, want) != 0)
			continue;
		id = json_integer_value(
			json_object_get(json_object_get(o, "customer"), "id"));
		if (id == 0)
			id = json_integer_value(
				json_object_get(o, "customerId"));
		break;
	}
	json_decref(state);
	return id;
}

/* Contact id's object in the sandbox state (borrowed from state), or
 * NULL. */
static json_t *
contact_of(json_t *state, int64_t id)
{
	char key[32];

	snprintf(key, sizeof(key), "%" PRId64, id);
	return json_object_get(json_object_get(state, "contacts"), key);
}

static const char *
email_of(const json_t *c)
{
	return json_string_value(json_object_get(
		json_object_get(
			json_object_get(json_object_get(c, "communication"),
					"emails"),
			"PRI"),
		"email"));
}

/* How many Brightpearl contacts have email as their primary email. */
static size_t
contacts_with(const char *email)
{
	json_t *state = fx_ctl(&fx, "GET", "/brightpearl/state", NULL);
	json_t *c;
	const char *k, *e;
	size_t n = 0;

	json_object_foreach (json_object_get(state, "contacts"), k, c) {
		e = email_of(c);
		if (e != NULL && strcasecmp(e, email) == 0)
			n++;
	}
	json_decref(state);
	return n;
}

/* Whether contact id is a customer (neither supplier nor staff). */
static int
is_customer_contact(int64_t id)
{
	json_t *state = fx_ctl(&fx, "GET", "/brightpearl/state", NULL);
	json_t *c = contact_of(state, id);
	json_t *rel = json_object_get(c, "relationshipToAccount");
	int yes = c != NULL &&
		  !json_is_true(json_object_get(rel, "isSupplier")) &&
		  !json_is_true(json_object_get(rel, "isStaff"));

	json_decref(state);
	return yes;
}

/* ---- placing orders and waiting ----------------------------------------- */

/* Place an order by BigCommerce customer (0: a guest) with email; its id. */
static int64_t
place(int64_t customer, const char *email)
{
	char body[768], cust[48] = "";
	json_t *r;
	int64_t id;

	if (customer > 0)
		snprintf(cust, sizeof(cust), "\"customer_id\":%" PRId64 ",",
			 customer);
	snprintf(body, sizeof(body),
		 "{%s\"billing_address\":{\"first_name\":\"Kim\","
		 "\"last_name\":\"Lee\",\"email\":\"%s\",\"street_1\":"
		 "\"1 Road\",\"city\":\"Town\",\"zip\":\"12345\","
		 "\"country_iso2\":\"US\"},\"lines\":[{\"sku\":\"CAP-BLK\","
		 "\"quantity\":1}],\"status_id\":11}",
		 cust, email);
	r = fx_ctl(&fx, "POST", "/bigcommerce/orders", body);
	id = json_integer_value(
		json_object_get(json_object_get(r, "order"), "id"));
	json_decref(r);
	assert_true(id > 0);
	return id;
}

/* Wait until the sandbox delivered n store/order/created webhooks in all
 * (so that the orders placed are due together). */
static void
wait_delivered(size_t n)
{
	int64_t end = flow_fixture_now_ms() + DEADLINE_MS;
	size_t got;

	do {
		json_t *d = fx_ctl(&fx, "GET", "/webhooks?platform=bigcommerce",
				   NULL);
		json_t *list =
			json_is_array(d) ? d : json_object_get(d, "deliveries");
		json_t *x;
		size_t i;

		got = 0;
		json_array_foreach (list, i, x) {
			const char *ev =
				json_string_value(json_object_get(x, "event"));
			const char *state =
				json_string_value(json_object_get(x, "state"));

			if (ev && state &&
			    strcmp(ev, "store/order/created") == 0 &&
			    strcmp(state, "delivered") == 0)
				got++;
		}
		json_decref(d);
		if (got >= n)
			return;
		usleep(20000);
	} while (flow_fixture_now_ms() < end);
	fail_msg("%zu order webhooks delivered, want %zu", got, n);
}

static size_t orders_placed; /* store/order/created webhooks expected */

/* Worker passes until every order in ids[n] is in Brightpearl; their
 * contacts into contact[n]. */
static void
run_until_imported(const int64_t *ids, size_t n, int64_t *contact)
{
	int64_t end = flow_fixture_now_ms() + DEADLINE_MS;
	size_t i, have;

	do {
		fx_passes(&fx, 1, 0);
		for (i = 0, have = 0; i < n; i++)
			if ((contact[i] = order_contact(ids[i])) > 0)
				have++;
		if (have == n)
			return;
		usleep(20000);
	} while (flow_fixture_now_ms() < end);
	flow_fixture_log_dump(&fx);
	fail_msg("only %zu of %zu orders imported", have, n);
}

static int64_t
import_one(int64_t customer, const char *email)
{
	int64_t id = place(customer, email), contact = 0;

	orders_placed++;
	run_until_imported(&id, 1, &contact);
	return contact;
}

/* A registered BigCommerce customer (its id). */
static int64_t
bc_customer(const char *email, const char *first)
{
	char body[256];
	json_t *r;
	int64_t id;

	snprintf(body, sizeof(body),
		 "{\"email\":\"%s\",\"first_name\":\"%s\","
		 "\"last_name\":\"Test\"}",
		 email, first);
	r = fx_ctl(&fx, "POST", "/bigcommerce/customers", body);
	id = json_integer_value(json_object_get(r, "id"));
	json_decref(r);
	assert_true(id > 0);
	return id;
}

/* ---- tests -------------------------------------------------------------- */

/* Customer Kim orders with one email, then with another: one contact. */
static void
test_changed_email_keeps_the_contact(void **state)
{
	json_t *bp_state, *c;
	int64_t a, b;

	(void)state;
	a = import_one(kim, "kim.a@example.com");
	b = import_one(kim, "kim.b@example.com");
	assert_true(a > 0);
	assert_int_equal(b, a);
	assert_int_equal(contacts_with("kim.a@example.com"), 1);
	assert_int_equal(contacts_with("kim.b@example.com"), 0);
	/* the contact keeps its email: the order carries the new one */
	bp_state = fx_ctl(&fx, "GET", "/brightpearl/state", NULL);
	c = contact_of(bp_state, a);
	assert_non_null(c);
	assert_string_equal(email_of(c), "kim.a@example.com");
	json_decref(bp_state);
	kim_contact = a;

	/* another registered customer ordering with Kim's first email gets
	 * that contact by email, but Kim keeps the link */
	assert_int_equal(import_one(bc_customer("lena@example.com", "Lena"),
				    "kim.a@example.com"),
			 a);
	assert_int_equal(import_one(kim, "kim.z@example.com"), a);
	assert_int_equal(contacts_with("kim.z@example.com"), 0);
}

/* Several orders due at once go through the batch: Kim's by the link
 * (the contact directory, no contact read); a new registered customer's
 * two orders with two emails share one new contact; another's second
 * order takes the contact its first found by email; and a guest whose
 * email a supplier has gets a customer contact of its own. */
static void
test_batch_uses_the_link(void **state)
{
	json_t *r, *ids;
	int64_t id[7], contact[7], nadia, omar, supplier, staff, omar_bp;
	size_t i;

	(void)state;
	nadia = bc_customer("nadia@example.com", "Nadia");
	omar = bc_customer("omar@example.com", "Omar");
	r = fx_ctl(&fx, "POST", "/brightpearl/seed",
		   "{\"customers\":[{\"email\":\"bulk@example.com\","
		   "\"firstName\":\"Bulk\",\"lastName\":\"Supply\","
		   "\"isSupplier\":true},{\"email\":\"desk@example.com\","
		   "\"firstName\":\"Front\",\"lastName\":\"Desk\","
		   "\"isStaff\":true},{\"email\":\"omar@example.com\","
		   "\"firstName\":\"Omar\",\"lastName\":\"Test\"}]}");
	ids = json_object_get(r, "customers");
	supplier = json_integer_value(json_array_get(ids, 0));
	staff = json_integer_value(json_array_get(ids, 1));
	omar_bp = json_integer_value(json_array_get(ids, 2));
	json_decref(r);
	assert_true(supplier > 0 && staff > 0 && omar_bp > 0);

	fx_ctl_ok(&fx, "POST", "/requests/reset", NULL);
	id[0] = place(kim, "kim.c@example.com");
	id[1] = place(nadia, "nadia.home@example.com");
	id[2] = place(nadia, "nadia.work@example.com");
	id[3] = place(0, "bulk@example.com");
	id[4] = place(kim, "kim.d@example.com");
	id[5] = place(omar, "omar@example.com");
	id[6] = place(omar, "omar.new@example.com");
	orders_placed += 7;
	wait_delivered(orders_placed);
	run_until_imported(id, 7, contact);

	assert_int_equal(contact[5], omar_bp);
	assert_int_equal(contact[6], omar_bp);
	assert_int_equal(contacts_with("omar.new@example.com"), 0);

	assert_int_equal(contact[0], kim_contact);
	assert_int_equal(contact[4], kim_contact);
	assert_int_equal(contacts_with("kim.c@example.com"), 0);
	assert_int_equal(contacts_with("kim.d@example.com"), 0);
	assert_int_equal(contact[2], contact[1]);
	assert_int_equal(contacts_with("nadia.home@example.com") +
				 contacts_with("nadia.work@example.com"),
			 1);
	assert_true(contact[3] != supplier);
	assert_true(is_customer_contact(contact[3]));
	assert_int_equal(contacts_with("bulk@example.com"), 2);
	for (i = 0; i < 7; i++)
		assert_true(contact[i] != staff);
	/* the batch read the directory and no contact one by one */
	assert_int_equal(fx_requests(&fx, "brightpearl",
				     "GET /contact-service/contact/{idset}"),
			 0);
	assert_int_equal(fx_requests(&fx, "brightpearl",
				     "GET /contact-service/contact-search"),
			 1);
}

/* One guest order at a time: a staff member's email is not a customer. */
static void
test_staff_email_is_not_a_customer(void **state)
{
	int64_t c;

	(void)state;
	c = import_one(0, "desk@example.com");
	assert_true(is_customer_contact(c));
	assert_int_equal(contacts_with("desk@example.com"), 2);
}

/* The link is in the database: a restarted worker (empty caches) finds
 * Kim's contact for a new email. */
static void
test_link_survives_a_restart(void **state)
{
	(void)state;
	assert_int_equal(flow_fixture_restart_worker(&fx), 0);
	assert_int_equal(import_one(kim, "kim.e@example.com"), kim_contact);
	assert_int_equal(contacts_with("kim.e@example.com"), 0);
}

/* The linked contact deleted in Brightpearl: the email decides (a new
 * contact) and the link follows it. */
static void
test_deleted_contact_is_relinked(void **state)
{
	char body[64];
	int64_t c1, c2;

	(void)state;
	snprintf(body, sizeof(body), "{\"contactId\":%" PRId64 "}",
		 kim_contact);
	fx_ctl_ok(&fx, "POST", "/brightpearl/contact-delete", body);
	c1 = import_one(kim, "kim.f@example.com");
	assert_true(c1 > 0 && c1 != kim_contact);
	assert_int_equal(contacts_with("kim.f@example.com"), 1);
	c2 = import_one(kim, "kim.g@example.com");
	assert_int_equal(c2, c1);
	assert_int_equal(contacts_with("kim.g@example.com"), 0);
}

/* ---- fixture ------------------------------------------------------------ */

static int
setup(void **state)
{

	*state = &fx;
	if (flow_fixture_open(&fx, NULL) < 0)
		return -1;
	kim = bc_customer("kim@example.com", "Kim");
	if (flow_fixture_start_import(&fx) < 0)
		return -1;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changed_email_keeps_the_contact),
		cmocka_unit_test(test_batch_uses_the_link),
		cmocka_unit_test(test_staff_email_is_not_a_customer),
		cmocka_unit_test(test_link_survives_a_restart),
		cmocka_unit_test(test_deleted_contact_is_relinked),
	};

	return cmocka_run_group_tests(tests, setup, flow_fixture_teardown);
}
