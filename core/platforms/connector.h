/*
 * connector.h - helpers shared by the platform connectors (Brightpearl,
 * BigCommerce): a capped string builder, URL encoding, id-set formatting
 * and type-checked JSON getters whose errors read well to an operator.
 *
 * Connectors turn JSON into plain C structs at the edge; these getters are
 * how they do it.  Every getter takes a dotted path ("orderStatus.
 * orderStatusId") and a `what` naming the object for the message, so a
 * failure reads "Brightpearl order 123: field 'orderStatus.orderStatusId'
 * missing".  Private to core/: not installed, not used by tui/.
 */
#ifndef PEARLSYNC_CONNECTOR_H
#define PEARLSYNC_CONNECTOR_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "internal.h"
#include "pearlsync/money.h"

/* ---- string builder ----------------------------------------------------- */

/*
 * A growing, NUL-terminated string with a hard cap.  Errors are sticky:
 * after one failed append every later append is a no-op and
 * ps_conn__buf_error() reports PS_ENOMEM or PS_ETOOBIG (past max bytes).
 * Initialise with PS_CONN_BUF_INIT(max) or ps_conn__buf_init().
 */
typedef struct ps_conn_buf {
	char *data; /* owned; NULL until the first append */
	size_t len; /* bytes used, excluding the NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* cap on len; 0 means 1 MiB */
	int error;  /* 0 or the first failure's code */
} ps_conn_buf;

#define PS_CONN_BUF_INIT(max)                                                  \
	{                                                                      \
		NULL, 0, 0, (max), 0                                           \
	}

/*
 * ps_conn__free_secret - overwrite s with zeros, then free it, so a token
 * does not linger in freed heap memory.  NULL is fine.
 */
void ps_conn__free_secret(char *s);

void ps_conn__buf_init(ps_conn_buf *b, size_t max);
void ps_conn__buf_dispose(ps_conn_buf *b);
/* Empty the text but keep the allocation and clear the error. */
void ps_conn__buf_clear(ps_conn_buf *b);
void ps_conn__buf_add(ps_conn_buf *b, const char *s);
void ps_conn__buf_addn(ps_conn_buf *b, const char *s, size_t n);
void ps_conn__buf_addf(ps_conn_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append s percent-encoded for a URL path segment or query value
 * (RFC 3986 unreserved characters pass; everything else is %XX). */
void ps_conn__buf_add_urlenc(ps_conn_buf *b, const char *s);
/* The text ("" when empty); borrowed, valid until the next append. */
const char *ps_conn__buf_str(const ps_conn_buf *b);
/*
 * Return 0, or the sticky error with a detail naming `what`
 * ("request URL too long (Brightpearl product GET)").
 */
int ps_conn__buf_check(const ps_conn_buf *b, const char *what);
/* Hand the text to the caller (owned, never NULL on success) and reset b. */
int ps_conn__buf_detach(char **out, ps_conn_buf *b);

/* ---- id sets ------------------------------------------------------------ */

/*
 * ps_conn__ids_normalise - a sorted copy of ids[0..n) without duplicates
 * into *out (owned, free()) and its length into *out_n.  Ids <= 0 are
 * refused with PS_EINVAL.  n == 0 gives *out NULL, *out_n 0.
 */
int ps_conn__ids_normalise(int64_t **out, size_t *out_n, const int64_t *ids,
			   size_t n);

/*
 * ps_conn__idset_add - append ids[0..n) (sorted, unique) to b in
 * Brightpearl id-set form: runs of three or more consecutive ids become
 * ranges, "1-3,7,9-12"; pairs stay "7,8".
 */
void ps_conn__idset_add(ps_conn_buf *b, const int64_t *ids, size_t n);

/* ---- JSON --------------------------------------------------------------- */

/*
 * ps_conn__json_parse - parse body[0..len) into *out (new reference).
 * PS_EPARSE detail: "invalid JSON from <what> (line L, column C): <text>".
 */
int ps_conn__json_parse(json_t **out, const char *body, size_t len,
			const char *what);

/*
 * ps_conn__json_at - the value at a dotted path below root, or NULL when any
 * step is missing, null or not an object.  Borrowed.  A segment is a key;
 * keys containing dots cannot be addressed (none of ours do).
 */
json_t *ps_conn__json_at(const json_t *root, const char *path);

/*
 * Typed getters.  `what` names the object ("Brightpearl order 123").
 * Required forms: missing or null -> PS_EDATA "<what>: field '<path>'
 * missing"; wrong type -> PS_EDATA "<what>: field '<path>' is <type>,
 * expected <type>".  _opt forms: missing or null -> the default, 0 returned;
 * wrong type still fails.
 *
 * int: a JSON integer, or a string holding a base-10 integer (Brightpearl
 * sends some ids and quantities as "12" or "1.0000": a zero fraction is
 * accepted).  bool: true/false (also 0/1 integers).  str: a string, borrowed
 * from the JSON.  dup: an owned copy (numbers are formatted too, since
 * references are sometimes numeric).  money: a decimal string or a JSON
 * number, to ps_money without floating-point loss for strings; JSON reals
 * are rounded to four places.
 */
int ps_conn__json_int(int64_t *out, const json_t *obj, const char *path,
		      const char *what);
int ps_conn__json_int_opt(int64_t *out, const json_t *obj, const char *path,
			  const char *what, int64_t dflt);
int ps_conn__json_bool_opt(int *out, const json_t *obj, const char *path,
			   const char *what, int dflt);
int ps_conn__json_str(const char **out, const json_t *obj, const char *path,
		      const char *what);
int ps_conn__json_str_opt(const char **out, const json_t *obj, const char *path,
			  const char *what);
int ps_conn__json_dup(char **out, const json_t *obj, const char *path,
		      const char *what);
int ps_conn__json_dup_opt(char **out, const json_t *obj, const char *path,
			  const char *what);
int ps_conn__json_money(ps_money *out, const json_t *obj, const char *path,
			const char *what);
int ps_conn__json_money_opt(ps_money *out, const json_t *obj, const char *path,
			    const char *what, ps_money dflt);

/* ps_conn__json_int_value - the int rules above on a bare value. */
int ps_conn__json_int_value(int64_t *out, const json_t *v, const char *path,
			    const char *what);

/*
 * ps_conn__json_set_money - set key in obj to amount as a decimal string
 * with four places ("12.3400").  Returns 0 or PS_ENOMEM.
 */
int ps_conn__json_set_money(json_t *obj, const char *key, ps_money amount);

/*
 * ps_conn__json_set_str - set key to a copy of s when s is non-NULL (and
 * non-empty unless keep_empty); otherwise leave obj as it is.
 */
int ps_conn__json_set_str(json_t *obj, const char *key, const char *s,
			  int keep_empty);

/* ps_conn__json_set_int - set key to v when v != 0 (or always if force). */
int ps_conn__json_set_int(json_t *obj, const char *key, int64_t v, int force);

/* ps_conn__json_type_name - "object", "array", "string", ... (static). */
const char *ps_conn__json_type_name(const json_t *v);

#endif
