/*
 * connector_util.c - the string builder, URL encoding, id sets and JSON
 * getters shared by the connectors (see connector.h).
 *
 * The getters exist so that a malformed reply from a platform becomes one
 * sentence the operator can act on, naming the object and the field,
 * instead of a crash or a silently zero value.
 */
#include "platforms/connector.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PS__CONN_BUF_DEFAULT_MAX ((size_t)1 << 20)

void
ps_conn__buf_init(ps_conn_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->error = 0;
}

void
ps_conn__buf_dispose(ps_conn_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	ps_conn__buf_init(b, b->max);
}

void
ps_conn__buf_clear(ps_conn_buf *b)
{
	b->len = 0;
	b->error = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Make room for n more bytes plus the NUL; sets the sticky error. */
static int
buf_reserve(ps_conn_buf *b, size_t n)
{
	size_t max = b->max ? b->max : PS__CONN_BUF_DEFAULT_MAX;
	size_t want, ncap;
	char *p;

	if (b->error)
		return -1;
	if (n > max || b->len > max - n) {
		b->error = PS_ETOOBIG;
		return -1;
	}
	want = b->len + n + 1;
	if (want <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < want)
		ncap *= 2;
	p = realloc(b->data, ncap);
	if (p == NULL) {
		b->error = PS_ENOMEM;
		return -1;
	}
	b->data = p;
	b->cap = ncap;
	return 0;
}

void
ps_conn__buf_addn(ps_conn_buf *b, const char *s, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
ps_conn__buf_add(ps_conn_buf *b, const char *s)
{
	ps_conn__buf_addn(b, s, strlen(s));
}

void
ps_conn__buf_addf(ps_conn_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->error)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->error = PS_EINVAL;
		return;
	}
	if (buf_reserve(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
ps_conn__buf_add_urlenc(ps_conn_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char esc[3];

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~') {
			ps_conn__buf_addn(b, (const char *)p, 1);
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[*p >> 4];
		esc[2] = hex[*p & 15];
		ps_conn__buf_addn(b, esc, 3);
	}
}

const char *
ps_conn__buf_str(const ps_conn_buf *b)
{
	return b->data != NULL ? b->data : "";
}

int
ps_conn__buf_check(const ps_conn_buf *b, const char *what)
{
	if (b->error == 0)
		return 0;
	if (b->error == PS_ETOOBIG)
		return ps_error_set(PS_ETOOBIG,
				    "%s is too long (over %zu bytes)", what,
				    b->max ? b->max : PS__CONN_BUF_DEFAULT_MAX);
	return ps_error_set(b->error, "out of memory building %s", what);
}

int
ps_conn__buf_detach(char **out, ps_conn_buf *b)
{
	*out = NULL;
	if (b->error)
		return ps_conn__buf_check(b, "text");
	if (b->data == NULL) {
		b->data = malloc(1);
		if (b->data == NULL)
			return ps_error_set(PS_ENOMEM, NULL);
		b->data[0] = '\0';
	}
	*out = b->data;
	ps_conn__buf_init(b, b->max);
	return 0;
}

/* ---- id sets ------------------------------------------------------------ */

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int
ps_conn__ids_normalise(int64_t **out, size_t *out_n, const int64_t *ids,
		       size_t n)
{
	int64_t *v;
	size_t i, k;

	*out = NULL;
	*out_n = 0;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (ids[i] <= 0)
			return ps_error_set(PS_EINVAL,
					    "invalid id %" PRId64 " in id set",
					    ids[i]);
	v = malloc(n * sizeof(*v));
	if (v == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	memcpy(v, ids, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_i64);
	for (i = 1, k = 1; i < n; i++)
		if (v[i] != v[k - 1])
			v[k++] = v[i];
	*out = v;
	*out_n = k;
	return 0;
}

void
ps_conn__idset_add(ps_conn_buf *b, const int64_t *ids, size_t n)
{
	size_t i = 0, j;

	while (i < n) {
		j = i;
		while (j + 1 < n && ids[j + 1] == ids[j] + 1)
			j++;
		if (i > 0)
			ps_conn__buf_add(b, ",");
		if (j - i >= 2) {
			ps_conn__buf_addf(b, "%" PRId64 "-%" PRId64, ids[i],
					  ids[j]);
			i = j + 1;
		} else {
			ps_conn__buf_addf(b, "%" PRId64, ids[i]);
			i++;
		}
	}
}

/* ---- JSON --------------------------------------------------------------- */

int
ps_conn__json_parse(json_t **out, const char *body, size_t len,
		    const char *what)
{
	json_error_t err;

	*out = NULL;
	if (body == NULL || len == 0)
		return ps_error_set(PS_EPARSE,
				    "empty reply from %s where JSON "
				    "was expected",
				    what);
	*out = json_loadb(body, len, JSON_DECODE_ANY, &err);
	/*
	 * Jansson reports a failed allocation either with its own code or,
	 * when it fails before reading anything, with no diagnostic at all.
	 * Either way the reply is not known to be bad (callers re-ask bad
	 * replies), so say what happened.
	 */
	if (*out == NULL &&
	    (json_error_code(&err) == json_error_out_of_memory ||
	     err.text[0] == '\0'))
		return ps_error_set(PS_ENOMEM,
				    "out of memory reading the "
				    "reply from %s",
				    what);
	if (*out == NULL)
		return ps_error_set(PS_EPARSE,
				    "invalid JSON from %s (line %d, column "
				    "%d): %s",
				    what, err.line, err.column, err.text);
	return 0;
}

const char *
ps_conn__json_type_name(const json_t *v)
{
	if (v == NULL)
		return "missing";
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a decimal number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

json_t *
ps_conn__json_at(const json_t *root, const char *path)
{
	char key[128];
	const char *p = path, *dot;
	const json_t *cur = root;
	size_t n;

	while (cur != NULL) {
		if (!json_is_object(cur))
			return NULL;
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		cur = json_object_get(cur, key);
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	if (cur == NULL || json_is_null(cur))
		return NULL;
	return (json_t *)cur;
}

static int
missing(const char *path, const char *what)
{
	return ps_error_set(PS_EDATA, "%s: field '%s' missing", what, path);
}

static int
wrong_type(const json_t *v, const char *path, const char *what,
	   const char *expected)
{
	return ps_error_set(PS_EDATA, "%s: field '%s' is %s, expected %s", what,
			    path, ps_conn__json_type_name(v), expected);
}

/* Parse "123", "-4", "1.0000" (zero fraction) as an integer. */
static int
parse_int_text(int64_t *out, const char *s)
{
	char *end;
	long long v;

	if (*s == '\0' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	if (*end == '.') {
		end++;
		while (*end == '0')
			end++;
	}
	if (*end != '\0')
		return -1;
	*out = (int64_t)v;
	return 0;
}

int
ps_conn__json_int_value(int64_t *out, const json_t *v, const char *path,
			const char *what)
{
	if (v == NULL || json_is_null(v))
		return missing(path, what);
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);

		/*
		 * Converting a double outside int64_t's range is undefined
		 * ("productId": 4.9E66): check the range first.  2^63 is
		 * exact as a double; -2^63 is the lowest int64_t.
		 */
		if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
			return ps_error_set(
				PS_EDATA,
				"%s: field '%s' is %g, out of range "
				"for an integer",
				what, path, d);
		if (d == (double)(int64_t)d) {
			*out = (int64_t)d;
			return 0;
		}
	}
	if (json_is_string(v) && parse_int_text(out, json_string_value(v)) == 0)
		return 0;
	if (json_is_string(v))
		return ps_error_set(PS_EDATA,
				    "%s: field '%s' is \"%s\", expected an "
				    "integer",
				    what, path, json_string_value(v));
	return wrong_type(v, path, what, "an integer");
}

int
ps_conn__json_int(int64_t *out, const json_t *obj, const char *path,
		  const char *what)
{
	return ps_conn__json_int_value(out, ps_conn__json_at(obj, path), path,
				       what);
}

int
ps_conn__json_int_opt(int64_t *out, const json_t *obj, const char *path,
		      const char *what, int64_t dflt)
{
	const json_t *v = ps_conn__json_at(obj, path);

	if (v == NULL) {
		*out = dflt;
		return 0;
	}
	return ps_conn__json_int_value(out, v, path, what);
}

int
ps_conn__json_bool_opt(int *out, const json_t *obj, const char *path,
		       const char *what, int dflt)
{
	const json_t *v = ps_conn__json_at(obj, path);

	if (v == NULL) {
		*out = dflt;
		return 0;
	}
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	if (json_is_integer(v)) {
		*out = json_integer_value(v) != 0;
		return 0;
	}
	return wrong_type(v, path, what, "a boolean");
}

int
ps_conn__json_str(const char **out, const json_t *obj, const char *path,
		  const char *what)
{
	const json_t *v = ps_conn__json_at(obj, path);

	*out = NULL;
	if (v == NULL)
		return missing(path, what);
	if (!json_is_string(v))
		return wrong_type(v, path, what, "a string");
	*out = json_string_value(v);
	return 0;
}

int
ps_conn__json_str_opt(const char **out, const json_t *obj, const char *path,
		      const char *what)
{
	const json_t *v = ps_conn__json_at(obj, path);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return wrong_type(v, path, what, "a string");
	*out = json_string_value(v);
	return 0;
}

static int
dup_value(char **out, const json_t *v, const char *path, const char *what)
{
	char num[64];
	const char *s;

	if (json_is_string(v)) {
		s = json_string_value(v);
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		s = num;
	} else {
		return wrong_type(v, path, what, "a string");
	}
	*out = ps_util__strdup(s);
	if (*out == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

int
ps_conn__json_dup(char **out, const json_t *obj, const char *path,
		  const char *what)
{
	const json_t *v = ps_conn__json_at(obj, path);

	*out = NULL;
	if (v == NULL)
		return missing(path, what);
	return dup_value(out, v, path, what);
}

int
ps_conn__json_dup_opt(char **out, const json_t *obj, const char *path,
		      const char *what)
{
	const json_t *v = ps_conn__json_at(obj, path);

	*out = NULL;
	if (v == NULL)
		return 0;
	return dup_value(out, v, path, what);
}

static int
money_value(ps_money *out, const json_t *v, const char *path, const char *what)
{
	char num[64];
	int error;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i > INT64_MAX / PS_MONEY_SCALE ||
		    i < -(INT64_MAX / PS_MONEY_SCALE))
			return ps_error_set(PS_EDATA,
					    "%s: field '%s' amount out of "
					    "range",
					    what, path);
		*out = (ps_money)i * PS_MONEY_SCALE;
		return 0;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);

		/*
		 * A JSON number with a fraction: the nearest four-place
		 * decimal is what the platform meant (it never sends more).
		 * Out of range first, so "%.4f" is never cut short.
		 */
		if (!(d > -(double)(INT64_MAX / PS_MONEY_SCALE) &&
		      d < (double)(INT64_MAX / PS_MONEY_SCALE)))
			return ps_error_set(PS_EDATA,
					    "%s: field '%s' amount out of "
					    "range",
					    what, path);
		snprintf(num, sizeof(num), "%.4f", d);
		if (ps_money_parse(out, num) == 0)
			return 0;
		return ps_error_set(PS_EDATA,
				    "%s: field '%s' amount out of "
				    "range",
				    what, path);
	}
	if (!json_is_string(v))
		return wrong_type(v, path, what, "an amount");
	if ((error = ps_money_parse(out, json_string_value(v))) < 0)
		return ps_error_set(PS_EDATA,
				    "%s: field '%s' is \"%s\", not an amount",
				    what, path, json_string_value(v));
	return 0;
}

int
ps_conn__json_money(ps_money *out, const json_t *obj, const char *path,
		    const char *what)
{
	const json_t *v = ps_conn__json_at(obj, path);

	if (v == NULL)
		return missing(path, what);
	return money_value(out, v, path, what);
}

int
ps_conn__json_money_opt(ps_money *out, const json_t *obj, const char *path,
			const char *what, ps_money dflt)
{
	const json_t *v = ps_conn__json_at(obj, path);

	if (v == NULL) {
		*out = dflt;
		return 0;
	}
	return money_value(out, v, path, what);
}

int
ps_conn__json_set_money(json_t *obj, const char *key, ps_money amount)
{
	char buf[PS_MONEY_STR_MAX];

	ps_money_format(buf, sizeof(buf), amount, 4);
	if (json_object_set_new(obj, key, json_string(buf)) < 0)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

int
ps_conn__json_set_str(json_t *obj, const char *key, const char *s,
		      int keep_empty)
{
	if (s == NULL || (s[0] == '\0' && !keep_empty))
		return 0;
	if (json_object_set_new(obj, key, json_string(s)) < 0)
		return ps_error_set(PS_ENOMEM,
				    "cannot set '%s' (out of memory "
				    "or not UTF-8)",
				    key);
	return 0;
}

int
ps_conn__json_set_int(json_t *obj, const char *key, int64_t v, int force)
{
	if (v == 0 && !force)
		return 0;
	if (json_object_set_new(obj, key, json_integer((json_int_t)v)) < 0)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

void
ps_conn__free_secret(char *s)
{
	volatile char *p = s;

	if (s == NULL)
		return;
	while (*p != '\0')
		*p++ = '\0';
	free(s);
}
