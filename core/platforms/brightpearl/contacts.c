/*
 * contacts.c - Brightpearl contacts and their postal addresses: the
 * address codec the order files share, find by email, read, create (with
 * its address), update, the contact directory's changes since a time, and
 * the batch forms of the address and contact creates.
 */
#include "platforms/brightpearl/brightpearl_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- addresses ---------------------------------------------------------- */

/* Build a JSON address object from a with every field a has (an empty
 * object when none), NULL when out of memory. */
json_t *
ps_bp__address_json_all(const ps_bp_address *a)
{
	json_t *o;
	int error = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	if ((error = ps_conn__json_set_str(o, "addressFullName", a->full_name,
					   0)) < 0 ||
	    (error = ps_conn__json_set_str(o, "companyName", a->company, 0)) <
		    0 ||
	    (error = ps_conn__json_set_str(o, "addressLine1", a->line1, 0)) <
		    0 ||
	    (error = ps_conn__json_set_str(o, "addressLine2", a->line2, 0)) <
		    0 ||
	    (error = ps_conn__json_set_str(o, "addressLine3", a->line3, 0)) <
		    0 ||
	    (error = ps_conn__json_set_str(o, "addressLine4", a->line4, 0)) <
		    0 ||
	    (error = ps_conn__json_set_str(o, "postalCode", a->postal_code,
					   0)) < 0 ||
	    (error = ps_conn__json_set_str(o, "countryIsoCode", a->country_iso,
					   0)) < 0 ||
	    (error = ps_conn__json_set_str(o, "telephone", a->telephone, 0)) <
		    0 ||
	    (error = ps_conn__json_set_str(o, "mobileTelephone", a->mobile,
					   0)) < 0 ||
	    (error = ps_conn__json_set_str(o, "email", a->email, 0)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Build a JSON address object from a, NULL when a is empty. */
json_t *
ps_bp__address_json(const ps_bp_address *a)
{
	if (a->line1 == NULL && a->full_name == NULL && a->postal_code == NULL)
		return NULL;
	return ps_bp__address_json_all(a);
}

/* Read an address object (borrowed strings). */
int
ps_bp__address_read(ps_bp_address *a, const json_t *o, const char *what)
{
	int error = 0;

	memset(a, 0, sizeof(*a));
	if (!json_is_object(o))
		return 0;
	if ((error = ps_conn__json_str_opt(&a->full_name, o, "addressFullName",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->company, o, "companyName",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->line1, o, "addressLine1",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->line2, o, "addressLine2",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->line3, o, "addressLine3",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->line4, o, "addressLine4",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->postal_code, o, "postalCode",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->country_iso, o, "countryIsoCode",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->telephone, o, "telephone",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->mobile, o, "mobileTelephone",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->email, o, "email", what)) < 0)
		return error;
	return 0;
}

/* ---- contacts ----------------------------------------------------------- */

void
ps_bp_contact_list_dispose(ps_bp_contact_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	json_decref((json_t *)l->priv__);
	memset(l, 0, sizeof(*l));
}

int
ps_bp__cmp_i64p(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * *out = whether a contact-search row (or a contact's
 * relationshipToAccount) is a customer.  Brightpearl's contact-search
 * documentation: "A contact can be only one of customer, supplier or
 * staff" (columns isCustomer, isSupplier, isStaff); a contact GET carries
 * only isSupplier and isStaff (reference digest section 8, recorded
 * customer/get).  So a row is a customer unless one of the flags it has
 * says otherwise; a missing flag says nothing.
 */
static int
is_customer(int *out, const json_t *obj, const char *what)
{
	int customer, supplier, staff, error;

	*out = 0;
	if ((error = ps_conn__json_bool_opt(&customer, obj, "isCustomer", what,
					    1)) < 0 ||
	    (error = ps_conn__json_bool_opt(&supplier, obj, "isSupplier", what,
					    0)) < 0 ||
	    (error = ps_conn__json_bool_opt(&staff, obj, "isStaff", what, 0)) <
		    0)
		return error;
	*out = customer && !supplier && !staff;
	return 0;
}

int
ps_bp_contact_find_email(ps_bp_ids *out, ps_bp *bp, const char *email)
{
	ps_conn_buf q = PS_CONN_BUF_INIT(2048);
	json_t *rows = NULL, *row;
	const char *e;
	size_t i;
	int error;

	out->ids = NULL;
	out->n = 0;
	if (email == NULL || email[0] == '\0')
		return ps_error_set(PS_EINVAL, "Brightpearl contact search: no "
					       "email");
	ps_conn__buf_add(&q, "primaryEmail=");
	ps_conn__buf_add_urlenc(&q, email);
	if ((error = ps_conn__buf_check(&q, "Brightpearl contact search")) <
		    0 ||
	    (error = ps_bp__search(&rows, bp, "/contact-service/contact-search",
				   ps_conn__buf_str(&q),
				   "contact search by email")) < 0)
		goto done;
	if ((error = ps_bp__alloc_items((void **)&out->ids,
					json_array_size(rows),
					sizeof(*out->ids))) < 0)
		goto done;
	json_array_foreach (rows, i, row) {
		int customer;

		if (ps_conn__json_str_opt(&e, row, "primaryEmail",
					  "Brightpearl contact search") < 0 ||
		    e == NULL || strcasecmp(e, email) != 0)
			continue;
		/* a supplier or staff member sharing the email is not the
		 * customer */
		if ((error = is_customer(&customer, row,
					 "Brightpearl contact search")) < 0)
			goto done;
		if (!customer)
			continue;
		if ((error = ps_conn__json_int(
			     &out->ids[out->n], row, "contactId",
			     "Brightpearl contact search")) < 0)
			goto done;
		out->n++;
	}
	ps_bp__sort_items(out->ids, out->n, sizeof(*out->ids), ps_bp__cmp_i64p);
done:
	if (error < 0)
		ps_bp_ids_dispose(out);
	json_decref(rows);
	ps_conn__buf_dispose(&q);
	return error;
}

static int
contact_read(ps_bp_contact *c, const json_t *j)
{
	char what[PS__BP_WHAT_MAX];
	int error;

	memset(c, 0, sizeof(*c));
	if ((error = ps_conn__json_int(&c->id, j, "contactId",
				       "Brightpearl contact")) < 0)
		return error;
	snprintf(what, sizeof(what), "Brightpearl contact %" PRId64, c->id);
	if ((error = ps_conn__json_str_opt(&c->first_name, j, "firstName",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&c->last_name, j, "lastName",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&c->email, j,
					   "communication.emails.PRI.email",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&c->telephone, j,
					   "communication.telephones.PRI",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&c->mobile, j,
					   "communication.telephones.MOB",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&c->company, j, "organisation.name",
					   what)) < 0 ||
	    (error = ps_conn__json_int_opt(&c->price_list_id, j,
					   "financialDetails.priceListId", what,
					   0)) < 0 ||
	    (error = ps_conn__json_int_opt(&c->lead_source_id, j,
					   "assignment.current.leadSourceId",
					   what, 0)) < 0 ||
	    (error = is_customer(&c->is_customer,
				 ps_conn__json_at(j, "relationshipToAccount"),
				 what)) < 0)
		return error;
	return 0;
}

int
ps_bp_contact_get(ps_bp_contact_list *out, ps_bp *bp, const int64_t *ids,
		  size_t n)
{
	json_t *all = NULL, *arr = NULL, *item;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_bp__get_ids(&all, bp, "/contact-service/contact/", NULL,
				    ids, n, "contact get")) < 0)
		return error;
	arr = ps_bp__values_of(all);
	out->priv__ = all;
	if (arr == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	if ((error = ps_bp__alloc_items((void **)&out->items,
					json_array_size(arr),
					sizeof(*out->items))) < 0)
		goto done;
	json_array_foreach (arr, i, item) {
		if ((error = contact_read(&out->items[out->n], item)) < 0)
			goto done;
		out->n++;
	}
	ps_bp__sort_items(out->items, out->n, sizeof(*out->items),
			  ps_bp__cmp_id_field);
done:
	json_decref(arr);
	if (error < 0)
		ps_bp_contact_list_dispose(out);
	return error;
}

int
ps_bp__build_address_create(ps_bp__msg *m, const ps_bp_address *a)
{
	json_t *body;
	int error;

	memset(m, 0, sizeof(*m));
	if (a == NULL || a->line1 == NULL)
		return ps_error_set(PS_EINVAL, "Brightpearl postal address: "
					       "addressLine1 is required");
	if ((body = json_object()) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	if ((error = ps_conn__json_set_str(body, "addressLine1", a->line1, 1)) <
		    0 ||
	    (error = ps_conn__json_set_str(body, "addressLine2", a->line2, 0)) <
		    0 ||
	    (error = ps_conn__json_set_str(body, "addressLine3", a->line3, 0)) <
		    0 ||
	    (error = ps_conn__json_set_str(body, "addressLine4", a->line4, 0)) <
		    0 ||
	    (error = ps_conn__json_set_str(body, "postalCode", a->postal_code,
					   0)) < 0 ||
	    (error = ps_conn__json_set_str(body, "countryIsoCode",
					   a->country_iso, 0)) < 0 ||
	    (error = ps_bp__path(&m->path, "/contact-service/postal-address")) <
		    0) {
		json_decref(body);
		return error;
	}
	m->method = "POST";
	m->body = body;
	/* a second copy of an address is harmless: let it be retried */
	m->idempotent = 1;
	m->what = "postal address create";
	return 0;
}

/* POST a postal address; *out_id its id. */
static int
address_create(int64_t *out_id, ps_bp *bp, const ps_bp_address *a)
{
	ps_bp__msg m;
	json_t *root = NULL;
	int error;

	*out_id = 0;
	if ((error = ps_bp__build_address_create(&m, a)) < 0)
		return error;
	if ((error = ps_bp__send_msg(&root, bp, &m)) == 0)
		error = ps_bp__reply_id(out_id, root, m.what);
	json_decref(root);
	ps_bp__msg_dispose(&m);
	return error;
}

static int
find_contact(int64_t *out_id, ps_bp *bp, const void *ctx)
{
	ps_bp_ids ids;
	int error;

	*out_id = 0;
	if ((error = ps_bp_contact_find_email(&ids, bp, ctx)) < 0)
		return error;
	if (ids.n > 0)
		*out_id = ids.ids[ids.n - 1]; /* the newest */
	ps_bp_ids_dispose(&ids);
	return *out_id > 0 ? 0 : PS_ENOTFOUND;
}

int
ps_bp__build_contact_create(ps_bp__msg *m, const ps_bp_contact *c,
			    int64_t address_id)
{
	json_t *body = NULL, *comm = NULL, *o;
	int error = 0;

	memset(m, 0, sizeof(*m));
	body = json_pack("{s:{s:b, s:b}}", "relationshipToAccount",
			 "isSupplier", 0, "isStaff", 0);
	comm = json_pack("{s:{}, s:{}}", "emails", "telephones");
	if (body == NULL || comm == NULL ||
	    json_object_set(body, "communication", comm) < 0)
		goto nomem;
	if ((error = ps_conn__json_set_str(body, "firstName", c->first_name,
					   0)) < 0 ||
	    (error = ps_conn__json_set_str(body, "lastName", c->last_name, 0)) <
		    0)
		goto done;
	if (c->email != NULL &&
	    ps_bp__set_new(json_object_get(comm, "emails"), "PRI",
			   json_pack("{s:s}", "email", c->email)) < 0)
		goto nomem;
	if ((error = ps_conn__json_set_str(json_object_get(comm, "telephones"),
					   "PRI", c->telephone, 0)) < 0 ||
	    (error = ps_conn__json_set_str(json_object_get(comm, "telephones"),
					   "MOB", c->mobile, 0)) < 0)
		goto done;
	if (address_id > 0 &&
	    ps_bp__set_new(body, "postAddressIds",
			   json_pack("{s:I, s:I, s:I}", "DEF",
				     (json_int_t)address_id, "BIL",
				     (json_int_t)address_id, "DEL",
				     (json_int_t)address_id)) < 0)
		goto nomem;
	if (c->company != NULL &&
	    ps_bp__set_new(body, "organisation",
			   json_pack("{s:s}", "name", c->company)) < 0)
		goto nomem;
	if (c->price_list_id > 0 &&
	    ps_bp__set_new(body, "financialDetails",
			   json_pack("{s:I}", "priceListId",
				     (json_int_t)c->price_list_id)) < 0)
		goto nomem;
	if (c->lead_source_id > 0) {
		o = json_pack("{s:{s:I}}", "current", "leadSourceId",
			      (json_int_t)c->lead_source_id);
		if (ps_bp__set_new(body, "assignment", o) < 0)
			goto nomem;
	}
	if ((error = ps_bp__path(&m->path, "/contact-service/contact")) < 0)
		goto done;
	m->method = "POST";
	m->what = "contact create";
	m->idempotent = 0; /* a repeat would make a second contact */
	m->body = body;
	body = NULL;
	goto done;
nomem:
	error = ps_error_set(PS_ENOMEM, "out of memory building a Brightpearl "
					"contact (or a field is not UTF-8)");
done:
	if (error < 0)
		ps_bp__msg_dispose(m);
	json_decref(body);
	json_decref(comm);
	return error;
}

int
ps_bp_contact_create(int64_t *out_id, ps_bp *bp, const ps_bp_contact *c)
{
	ps_bp__msg m = {0};
	int64_t addr_id = 0;
	int error;

	*out_id = 0;
	if (c->address.line1 != NULL &&
	    (error = address_create(&addr_id, bp, &c->address)) < 0)
		return error;
	if ((error = ps_bp__build_contact_create(&m, c, addr_id)) < 0)
		return error;
	error = ps_bp__create_recoverable(
		out_id, NULL, bp, &m, 1, c->email != NULL ? find_contact : NULL,
		c->email);
	ps_bp__msg_dispose(&m);
	return error;
}

/*
 * Append the JSON-Patch op that makes member path hold value: "replace"
 * when the contact has it (now non-NULL), "add" when it does not (a
 * "replace" of a missing member is invalid JSON-Patch, RFC 6902 section
 * 4.3, and Brightpearl refuses it with CMNC-044 as recorded in
 * vicvans20/ruby-brightpearl spec/fixtures/order_patch_error_operation.yml),
 * nothing when value is NULL or already there.  add_value, when not NULL,
 * is what "add" sets instead (a whole missing parent object).
 */
static int
patch_set(json_t *ops, const char *path, const char *now, const char *value,
	  const char *add_path, json_t *add_value)
{
	json_t *op;

	if (value == NULL || (now != NULL && strcmp(now, value) == 0)) {
		json_decref(add_value);
		return 0;
	}
	if (now != NULL) {
		json_decref(add_value);
		op = json_pack("{s:s, s:s, s:s}", "op", "replace", "path", path,
			       "value", value);
	} else if (add_value != NULL) {
		op = json_pack("{s:s, s:s, s:o}", "op", "add", "path", add_path,
			       "value", add_value);
	} else {
		op = json_pack("{s:s, s:s, s:s}", "op", "add", "path", path,
			       "value", value);
	}
	if (json_array_append_new(ops, op) < 0)
		return ps_error_set(PS_ENOMEM,
				    "Brightpearl contact update: "
				    "out of memory or '%s' not UTF-8",
				    path);
	return 0;
}

int
ps_bp__build_contact_patch(json_t *ops, const ps_bp_contact *was,
			   const ps_bp_contact *c)
{
	int error;

	if ((error = patch_set(ops, "/firstName", was->first_name,
			       c->first_name, NULL, NULL)) < 0 ||
	    (error = patch_set(ops, "/lastName", was->last_name, c->last_name,
			       NULL, NULL)) < 0 ||
	    (error = patch_set(
		     ops, "/communication/emails/PRI/email", was->email,
		     c->email, "/communication/emails/PRI",
		     c->email ? json_pack("{s:s}", "email", c->email) : NULL)) <
		    0 ||
	    (error = patch_set(ops, "/communication/telephones/PRI",
			       was->telephone, c->telephone, NULL, NULL)) < 0 ||
	    (error = patch_set(ops, "/communication/telephones/MOB",
			       was->mobile, c->mobile, NULL, NULL)) < 0)
		return error;
	return 0;
}

int
ps_bp_contact_update(ps_bp *bp, int64_t id, const ps_bp_contact *c)
{
	return ps_bp_contact_update_from(bp, id, NULL, c);
}

int
ps_bp_contact_update_from(ps_bp *bp, int64_t id, const ps_bp_contact *known,
			  const ps_bp_contact *c)
{
	json_t *ops = NULL, *root = NULL, *link = NULL;
	ps_bp_contact_list now = {0};
	ps_bp_contact was = {0};
	char *path = NULL;
	int64_t addr_id = 0;
	int error;

	if ((ops = json_array()) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	if (known != NULL)
		was = *known;
	else if (c->first_name != NULL || c->last_name != NULL ||
		 c->email != NULL || c->telephone != NULL ||
		 c->mobile != NULL) {
		/* which members the contact has decides add or replace */
		if ((error = ps_bp_contact_get(&now, bp, &id, 1)) < 0)
			goto done;
		if (now.n == 0) {
			error = ps_error_set(PS_ENOTFOUND,
					     "Brightpearl contact %" PRId64
					     " not found (contact update)",
					     id);
			goto done;
		}
		was = now.items[0];
	}
	if ((error = ps_bp__build_contact_patch(ops, &was, c)) < 0)
		goto done;
	if (json_array_size(ops) > 0) {
		if ((error = ps_bp__path(&path,
					 "/contact-service/contact/%" PRId64,
					 id)) < 0 ||
		    (error = ps_bp__request(&root, NULL, bp, "PATCH", path, ops,
					    1, "contact update")) < 0) {
			if (known != NULL && error == PS_EDATA) {
				/* what the caller knew may be stale: read
				 * the contact and patch once more */
				ps_error_clear();
				json_decref(root);
				json_decref(ops);
				free(path);
				return ps_bp_contact_update_from(bp, id, NULL,
								 c);
			}
			goto done;
		}
	}
	if (c->address.line1 == NULL)
		goto done;
	if ((error = address_create(&addr_id, bp, &c->address)) < 0)
		goto done;
	link = json_pack("[{s:I, s:s}, {s:I, s:s}, {s:I, s:s}]",
			 "postalAddressId", (json_int_t)addr_id, "type", "DEF",
			 "postalAddressId", (json_int_t)addr_id, "type", "BIL",
			 "postalAddressId", (json_int_t)addr_id, "type", "DEL");
	free(path);
	path = NULL;
	json_decref(root);
	root = NULL;
	if (link == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	if ((error = ps_bp__path(&path,
				 "/contact-service/contact/%" PRId64
				 "/postal-address",
				 id)) < 0)
		goto done;
	error = ps_bp__request(&root, NULL, bp, "PUT", path, link, 1,
			       "contact address update");
done:
	ps_bp_contact_list_dispose(&now);
	json_decref(link);
	json_decref(root);
	json_decref(ops);
	free(path);
	return error;
}

/* ---- the contact directory ---------------------------------------------- */

#define PS__BP_DIRECTORY_COLUMNS                                               \
	"contactId,primaryEmail,firstName,lastName,pri,updatedOn,"             \
	"isCustomer,isSupplier,isStaff"

void
ps_bp_contact_rows_dispose(ps_bp_contact_rows *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->items[i].email);
		free(r->items[i].first_name);
		free(r->items[i].last_name);
		free(r->items[i].telephone);
		free(r->items[i].updated_on);
	}
	free(r->items);
	free(r->max_updated_on);
	memset(r, 0, sizeof(*r));
}

/*
 * Brightpearl's timestamp text ("2026-07-01T10:00:00.000Z", "...+01:00")
 * as milliseconds since the epoch; -1 when it is not one.  Used only to
 * order rows, so the calendar arithmetic stays proleptic Gregorian.
 */
int
ps_bp_time_parse(int64_t *out, const char *s)
{
	int64_t y, mo, d, h, mi, sec, ms = 0, off = 0, days;
	int digits = 0, n = 0;
	int iy, imo, id, ih, imi, isec, oh, om;

	*out = -1;
	if (s == NULL ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &iy, &imo, &id, &ih, &imi,
		   &isec, &n) != 6 ||
	    n != 19)
		return -1;
	y = iy;
	mo = imo;
	d = id;
	h = ih;
	mi = imi;
	sec = isec;
	s += n;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			if (digits++ < 3)
				ms = ms * 10 + (*s - '0');
		}
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (*s == 'Z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		if (sscanf(s + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5)
			return -1;
		off = (int64_t)(oh * 60 + om) * (*s == '-' ? -1 : 1);
		s += 6;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	days = ps_util__days_from_civil(y, (int)mo, (int)d);
	*out = ((days * 86400 + h * 3600 + mi * 60 + sec - off * 60) * 1000) +
	       ms;
	return 0;
}

/* A row while sorting: its parsed stamp beside it. */
typedef struct dir_sort {
	int64_t stamp; /* -1: missing or unreadable (sorts first) */
	ps_bp_contact_row row;
} dir_sort;

static int
cmp_dir_rows(const void *a, const void *b)
{
	const dir_sort *x = a, *y = b;
	int r;

	if (x->stamp != y->stamp)
		return (x->stamp > y->stamp) - (x->stamp < y->stamp);
	if (x->stamp < 0 && x->row.updated_on != NULL &&
	    y->row.updated_on != NULL &&
	    (r = strcmp(x->row.updated_on, y->row.updated_on)) != 0)
		return r;
	return (x->row.id > y->row.id) - (x->row.id < y->row.id);
}

/* *out = a copy of the text at key in row, NULL when absent or empty. */
static int
dir_text(char **out, const json_t *row, const char *key, const char *what)
{
	const char *s;
	int error;

	*out = NULL;
	if ((error = ps_conn__json_str_opt(&s, row, key, what)) < 0)
		return error;
	if (s == NULL || s[0] == '\0')
		return 0;
	if ((*out = ps_util__strdup(s)) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

/* Lower-case the ASCII letters of s in place (bytes >= 0x80 are kept). */
static void
ascii_lower(char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	}
}

static int
dir_row_read(dir_sort *d, const json_t *row)
{
	char what[PS__BP_WHAT_MAX];
	ps_bp_contact_row *r = &d->row;
	int error;

	if ((error = ps_conn__json_int(&r->id, row, "contactId",
				       "Brightpearl contact directory")) < 0)
		return error;
	snprintf(what, sizeof(what), "Brightpearl contact %" PRId64, r->id);
	if ((error = dir_text(&r->email, row, "primaryEmail", what)) < 0 ||
	    (error = dir_text(&r->first_name, row, "firstName", what)) < 0 ||
	    (error = dir_text(&r->last_name, row, "lastName", what)) < 0 ||
	    (error = dir_text(&r->telephone, row, "pri", what)) < 0 ||
	    (error = dir_text(&r->updated_on, row, "updatedOn", what)) < 0 ||
	    (error = is_customer(&r->is_customer, row, what)) < 0)
		return error;
	ascii_lower(r->email);
	ps_bp_time_parse(&d->stamp, r->updated_on);
	return 0;
}

int
ps_bp_contact_changes(ps_bp_contact_rows *out, ps_bp *bp, const char *since)
{
	ps_conn_buf q = PS_CONN_BUF_INIT(2048);
	json_t *rows = NULL, *row;
	dir_sort *v = NULL;
	size_t i, n = 0;
	int error;

	memset(out, 0, sizeof(*out));
	ps_conn__buf_add(&q, "columns=" PS__BP_DIRECTORY_COLUMNS);
	if (since != NULL && since[0] != '\0') {
		/* a PERIOD with an open end: updatedOn at or after since */
		ps_conn__buf_add(&q, "&updatedOn=");
		ps_conn__buf_add_urlenc(&q, since);
		ps_conn__buf_add(&q, "/");
	}
	ps_conn__buf_add(&q, "&sort=updatedOn.ASC");
	if ((error = ps_conn__buf_check(&q, "Brightpearl contact directory")) <
		    0 ||
	    (error = ps_bp__search(&rows, bp, "/contact-service/contact-search",
				   ps_conn__buf_str(&q),
				   "contact directory read")) < 0)
		goto done;
	if ((error = ps_bp__alloc_items((void **)&v, json_array_size(rows),
					sizeof(*v))) < 0)
		goto done;
	json_array_foreach (rows, i, row) {
		v[n].stamp = -1;
		n++;
		if ((error = dir_row_read(&v[n - 1], row)) < 0)
			goto done;
	}
	ps_bp__sort_items(v, n, sizeof(*v), cmp_dir_rows);
	if ((error = ps_bp__alloc_items((void **)&out->items, n,
					sizeof(*out->items))) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		out->items[i] = v[i].row;
		memset(&v[i].row, 0, sizeof(v[i].row));
	}
	out->n = n;
	/* the newest stamp: the last row that has one */
	for (i = n; i > 0; i--) {
		if (out->items[i - 1].updated_on == NULL)
			continue;
		out->max_updated_on =
			ps_util__strdup(out->items[i - 1].updated_on);
		if (out->max_updated_on == NULL)
			error = ps_error_set(PS_ENOMEM, NULL);
		break;
	}
done:
	for (i = 0; i < n; i++) {
		free(v[i].row.email);
		free(v[i].row.first_name);
		free(v[i].row.last_name);
		free(v[i].row.telephone);
		free(v[i].row.updated_on);
	}
	free(v);
	if (error < 0)
		ps_bp_contact_rows_dispose(out);
	json_decref(rows);
	ps_conn__buf_dispose(&q);
	return error;
}

/* ---- batch forms -------------------------------------------------------- */

int
ps_bp_batch_address_create(ps_bp_batch *b, const ps_bp_address *a)
{
	ps_bp__msg m;
	int error;

	if ((error = ps_bp__build_address_create(&m, a)) < 0)
		return error;
	return ps_bp__batch_push(b, &m);
}

int
ps_bp_batch_contact_create(ps_bp_batch *b, const ps_bp_contact *c,
			   int64_t address_id)
{
	ps_bp__msg m;
	int error;

	if (c == NULL)
		return ps_error_set(PS_EINVAL, "Brightpearl contact create: no "
					       "contact");
	if ((error = ps_bp__build_contact_create(&m, c, address_id)) < 0)
		return error;
	return ps_bp__batch_push(b, &m);
}
