/*
 * customers.c - BigCommerce customers: read by id, find by email.
 */
#include "pearlsync/bigcommerce.h"
#include "platforms/bigcommerce/bigcommerce_int.h"
#include "platforms/connector.h"
#include "internal.h"
#include "pearlsync/log.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

/* --- customers ------------------------------------------------------------ */

static const struct ps_bc__field customer_fields[] = {
	FLD(ps_bc_customer, "id", id, BK_I64, 1),
	FLD(ps_bc_customer, "email", email, BK_STR, 0),
	FLD(ps_bc_customer, "first_name", first_name, BK_STR, 0),
	FLD(ps_bc_customer, "last_name", last_name, BK_STR, 0),
	FLD(ps_bc_customer, "company", company, BK_STR, 0),
	FLD(ps_bc_customer, "phone", phone, BK_STR, 0),
	FLD(ps_bc_customer, "notes", notes, BK_STR, 0),
	FLD(ps_bc_customer, "customer_group_id", customer_group_id, BK_I64, 0),
	FLD(ps_bc_customer, "date_created", date_created, BK_ISO8601, 0),
	FLD(ps_bc_customer, "date_modified", date_modified, BK_ISO8601, 0),
};

void
ps_bc_customer_dispose(ps_bc_customer *c)
{
	if (c == NULL)
		return;
	FIELDS_FREE(c, customer_fields);
	memset(c, 0, sizeof(*c));
}

static void
customer_dispose_v(void *c)
{
	ps_bc_customer_dispose(c);
}

void
ps_bc_customer_list_dispose(ps_bc_customer_list *l)
{
	if (l == NULL)
		return;
	ps_bc__items_dispose(l->items, l->count, sizeof(*l->items),
			     customer_dispose_v);
	memset(l, 0, sizeof(*l));
}

static int
customer_row(void *item, const json_t *row, void *ctx)
{
	char what[80];

	(void)ctx;
	snprintf(what, sizeof(what), "BigCommerce customer %lld",
		 ps_bc__peek_id(row, "id"));
	return FIELDS_PARSE(item, customer_fields, row, what);
}

static int
customers_query(ps_bc_customer_list *out, ps_bc *bc, const char *path,
		const char *what)
{
	struct ps_bc__vec v = {NULL, 0, 0, sizeof(ps_bc_customer)};
	int error;

	memset(out, 0, sizeof(*out));
	error = ps_bc__walk(bc, &v, path, "v3/customers", what, 1, customer_row,
			    NULL, 0);
	if (error < 0) {
		ps_bc__vec_dispose(&v, customer_dispose_v);
		return error;
	}
	out->items = v.items;
	out->count = v.count;
	return 0;
}

int
ps_bc_customer_get(ps_bc_customer *out, ps_bc *bc, int64_t id)
{
	ps_bc_customer_list l;
	char path[64], what[64];
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/v3/customers?id:in=%lld", (long long)id);
	snprintf(what, sizeof(what), "reading customer %lld", (long long)id);
	if ((error = customers_query(&l, bc, path, what)) < 0)
		return error;
	error = ps_error_set(PS_ENOTFOUND,
			     "BigCommerce customer %lld not "
			     "found",
			     (long long)id);
	for (i = 0; i < l.count; i++) {
		if (l.items[i].id == id) {
			*out = l.items[i];
			memset(&l.items[i], 0, sizeof(l.items[i]));
			error = 0;
			break;
		}
	}
	ps_bc_customer_list_dispose(&l);
	return error;
}

int
ps_bc_customers_find_email(ps_bc_customer_list *out, ps_bc *bc,
			   const char *email)
{
	ps_conn_buf p = PS_CONN_BUF_INIT(0);
	char what[BC_QUERY_VALUE_MAX + 64];
	int error;

	memset(out, 0, sizeof(*out));
	if (email == NULL || *email == '\0' ||
	    strlen(email) > BC_QUERY_VALUE_MAX)
		return ps_error_set(PS_EINVAL,
				    "an email to look up in "
				    "BigCommerce is empty or too long");
	snprintf(what, sizeof(what), "searching customers by email '%s'",
		 email);
	ps_conn__buf_add(&p, "/v3/customers?email:in=");
	ps_conn__buf_add_urlenc(&p, email);
	if ((error = ps_conn__buf_check(&p, "a customer search URL")) == 0)
		error = customers_query(out, bc, p.data, what);
	ps_conn__buf_dispose(&p);
	return error;
}
