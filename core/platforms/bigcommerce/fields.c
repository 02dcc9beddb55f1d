/*
 * fields.c - the field tables every BigCommerce reply is parsed with.
 *
 * A table (struct ps_bc__field, built with FLD) names each JSON member, its
 * kind and the struct member it fills, so that every struct is filled,
 * freed and reported on in one way: a bad or missing field names the
 * object and the field for the operator.
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

/* --- field tables --------------------------------------------------------- */

void
ps_bc__fields_free(void *base, const struct ps_bc__field *tab, size_t n)
{
	size_t i;

	for (i = 0; base && i < n; i++) {
		if (tab[i].kind == BK_STR) {
			char **sp = (char **)((char *)base + tab[i].offset);

			free(*sp);
			*sp = NULL;
		}
	}
}

size_t
ps_bc__fields_size(const void *base, const struct ps_bc__field *tab, size_t n)
{
	size_t i, sum = 0;

	for (i = 0; base && i < n; i++) {
		if (tab[i].kind == BK_STR) {
			const char *const *sp =
				(const char *const *)((const char *)base +
						      tab[i].offset);

			/* malloc's chunk: the bytes and a size word,
			 * rounded to 16, at least 32 (glibc; near enough
			 * elsewhere) */
			size_t c = *sp ? strlen(*sp) + 1 + 8 : 0;

			if (c != 0)
				sum += c < 32 ? 32 : (c + 15) & ~(size_t)15;
		}
	}
	return sum;
}

/* A date member: RFC 2822 or ISO 8601 (either is accepted in either
 * place), an integer of epoch seconds, or "" for "not set" (0). */
static int
date_value(int64_t *out, const json_t *obj, const char *name, int rfc,
	   const char *what)
{
	const json_t *v = ps_conn__json_at(obj, name);
	const char *s;
	int rc;

	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return ps_error_set(PS_EDATA,
				    "%s: field '%s' is %s, expected "
				    "a date",
				    what, name, ps_conn__json_type_name(v));
	s = json_string_value(v);
	if (*s == '\0') {
		*out = 0;
		return 0;
	}
	rc = rfc ? ps_bc__date_parse_rfc2822(out, s)
		 : ps_bc__date_parse_iso8601(out, s);
	if (rc < 0)
		rc = rfc ? ps_bc__date_parse_iso8601(out, s)
			 : ps_bc__date_parse_rfc2822(out, s);
	if (rc < 0)
		return ps_error_set(PS_EDATA,
				    "%s: field '%s' is \"%.40s\", not a date",
				    what, name, s);
	return 0;
}

static int
parse_field(void *base, const struct ps_bc__field *f, const json_t *obj,
	    const char *what)
{
	void *dst = (char *)base + f->offset;
	int64_t x = 0;
	int error;

	switch ((enum ps_bc__kind)f->kind) {
	case BK_I64:
	case BK_EPOCH:
		return f->required ? ps_conn__json_int((int64_t *)dst, obj,
						       f->name, what)
				   : ps_conn__json_int_opt((int64_t *)dst, obj,
							   f->name, what, 0);
	case BK_INT:
		error = f->required ? ps_conn__json_int(&x, obj, f->name, what)
				    : ps_conn__json_int_opt(&x, obj, f->name,
							    what, 0);
		if (error < 0)
			return error;
		if (x < INT_MIN || x > INT_MAX)
			return ps_error_set(PS_EDATA,
					    "%s: field '%s' is out of range",
					    what, f->name);
		*(int *)dst = (int)x;
		return 0;
	case BK_STR:
		free(*(char **)dst);
		*(char **)dst = NULL;
		return f->required ? ps_conn__json_dup((char **)dst, obj,
						       f->name, what)
				   : ps_conn__json_dup_opt((char **)dst, obj,
							   f->name, what);
	case BK_MONEY:
		return f->required
			       ? ps_conn__json_money((ps_money *)dst, obj,
						     f->name, what)
			       : ps_conn__json_money_opt((ps_money *)dst, obj,
							 f->name, what, 0);
	case BK_BOOL:
		return ps_conn__json_bool_opt((int *)dst, obj, f->name, what,
					      0);
	case BK_RFC2822:
	case BK_ISO8601:
		if (ps_conn__json_at(obj, f->name) == NULL) {
			if (f->required)
				return ps_error_set(PS_EDATA,
						    "%s: field '%s' missing",
						    what, f->name);
			*(int64_t *)dst = 0;
			return 0;
		}
		return date_value((int64_t *)dst, obj, f->name,
				  f->kind == BK_RFC2822, what);
	}
	return ps_error_set(PS_EINVAL, "bad field kind");
}

/*
 * Fill base from obj by tab with the shared connector getters, so messages
 * read like every connector's: "BigCommerce order 1042: field
 * 'total_inc_tax' is \"x\", not an amount".  Absent or null optional
 * members keep their zero value (strings become "").  On failure what was
 * filled is freed.  what starts with "BigCommerce".
 */
int
ps_bc__fields_parse(void *base, const struct ps_bc__field *tab, size_t n,
		    const json_t *obj, const char *what)
{
	size_t i;
	int error = 0;

	if (!json_is_object(obj)) {
		error = ps_error_set(PS_EDATA,
				     "%s: expected a JSON object, "
				     "got %s",
				     what, ps_conn__json_type_name(obj));
		goto done;
	}
	for (i = 0; i < n; i++)
		if ((error = parse_field(base, &tab[i], obj, what)) < 0)
			goto done;
	for (i = 0; i < n; i++) {
		char **sp = (char **)((char *)base + tab[i].offset);

		if (tab[i].kind == BK_STR && *sp == NULL &&
		    (*sp = ps_util__strdup("")) == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
	}
done:
	if (error < 0)
		ps_bc__fields_free(base, tab, n);
	return error;
}

/*
 * A nested array of sub-objects (an order's shipment or refund lines):
 * a new array of size-byte items, each filled from arr by tab, with *n set
 * to its length.  NULL with *n 0 for an absent, null or empty arr (and
 * *error 0), or on failure (*error < 0; nothing is left allocated).
 */
void *
ps_bc__subitems_parse(int *error, size_t *n, size_t size, const json_t *arr,
		      const struct ps_bc__field *tab, size_t ntab,
		      const char *what)
{
	char *items;
	size_t i;

	*error = 0;
	*n = 0;
	if (json_array_size(arr) == 0)
		return NULL;
	if ((items = calloc(json_array_size(arr), size)) == NULL) {
		*error = ps_error_set(PS_ENOMEM, NULL);
		return NULL;
	}
	for (i = 0; i < json_array_size(arr); i++) {
		if ((*error = ps_bc__fields_parse(items + i * size, tab, ntab,
						  json_array_get(arr, i),
						  what)) < 0) {
			while (i-- > 0)
				ps_bc__fields_free(items + i * size, tab, ntab);
			free(items);
			*n = 0;
			return NULL;
		}
		(*n)++;
	}
	return items;
}

/* The id of obj for naming it in errors, or -1. */
long long
ps_bc__peek_id(const json_t *obj, const char *name)
{
	const json_t *v = json_object_get(obj, name);
	int64_t id = -1;

	if (json_is_integer(v))
		id = (int64_t)json_integer_value(v);
	else if (json_is_string(v))
		id = strtoll(json_string_value(v), NULL, 10);
	return (long long)id;
}
