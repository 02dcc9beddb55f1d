/*
 * bc_catalog.c - the simulated catalog's indexes and write rules.
 *
 * Indexes: products by id and name, variants by id and SKU, so that a
 * lookup costs the same with 20 products or 20,000 (a benchmark then
 * measures pearlsync, not the simulator).
 *
 * Write rules, each from the catalog spec [spec:catalog/
 * products_catalog.v3.yml product_Base_POST / product_Put_Collection;
 * spec:catalog/product-variants_catalog.v3.yml]:
 *   - name: 1 to 250 characters ("maxLength: 250, minLength: 1"), and
 *     "A unique product name": a name another product has is 409;
 *   - sku: at most 255 characters; "The SKU is always unique regardless
 *     of the letter case for both products and variants": 409;
 *   - weight, price: numbers, "minimum: 0", weight "maximum: 9999999999";
 *   - upc: at most 14 characters ("maxLength: 14").
 * A 409 is `{"status":409,"title":...}` (errorResponse_409); a 422 names
 * the field under errors with a Play-JSON style key, as the recorded
 * refusals in the reference digest do (§3: "error.path.missing.",
 * "error.expected.jsnumber"): "error.maxLength", "error.minLength",
 * "error.min", "error.max".
 */
#include "bc_sim.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 250
#define SKU_MAX_LEN 255
#define UPC_MAX_LEN 14
#define WEIGHT_MAX 9999999999.0

void
bc_catalog_init(bc_state *st)
{
	st->ix_product = json_object();
	st->ix_variant = json_object();
	st->ix_owner = json_object();
	st->ix_sku = json_object();
	st->ix_name = json_object();
	st->catalog_writes = json_array();
}

void
bc_catalog_clear(bc_state *st)
{
	json_object_clear(st->ix_product);
	json_object_clear(st->ix_variant);
	json_object_clear(st->ix_owner);
	json_object_clear(st->ix_sku);
	json_object_clear(st->ix_name);
	json_array_clear(st->catalog_writes);
}

void
bc_catalog_free(bc_state *st)
{
	json_decref(st->ix_product);
	json_decref(st->ix_variant);
	json_decref(st->ix_owner);
	json_decref(st->ix_sku);
	json_decref(st->ix_name);
	json_decref(st->catalog_writes);
}

static void
id_key(char *buf, size_t len, const json_t *obj)
{
	snprintf(buf, len, "%lld",
		 (long long)sb_json_int(json_object_get(obj, "id"), 0));
}

static void
sku_key(char *buf, size_t len, const char *sku)
{
	size_t i;

	for (i = 0; sku[i] && i + 1 < len; i++)
		buf[i] = (char)tolower((unsigned char)sku[i]);
	buf[i] = '\0';
}

void
bc_index_variant(bc_state *st, json_t *p, json_t *v)
{
	const char *sku = sb_json_str(json_object_get(v, "sku"), "");
	char key[SKU_MAX_LEN + 8];

	id_key(key, sizeof(key), v);
	json_object_set(st->ix_variant, key, v);
	json_object_set(st->ix_owner, key, p);
	if (*sku) {
		sku_key(key, sizeof(key), sku);
		json_object_set(st->ix_sku, key, v);
	}
}

void
bc_index_product(bc_state *st, json_t *p)
{
	char key[32];
	json_t *v;
	size_t i;

	id_key(key, sizeof(key), p);
	json_object_set(st->ix_product, key, p);
	json_object_set(st->ix_name,
			sb_json_str(json_object_get(p, "name"), ""), p);
	json_array_foreach (json_object_get(p, "variants"), i, v)
		bc_index_variant(st, p, v);
}

json_t *
bc_product_by_name(bc_state *st, const char *name)
{
	return json_object_get(st->ix_name, name);
}

json_t *
bc_variant_by_sku_ci(bc_state *st, const char *sku, json_t **product)
{
	char key[SKU_MAX_LEN + 8], id[32];
	json_t *v;

	if (strlen(sku) > SKU_MAX_LEN)
		return NULL;
	sku_key(key, sizeof(key), sku);
	v = json_object_get(st->ix_sku, key);
	if (v != NULL && product != NULL) {
		id_key(id, sizeof(id), v);
		*product = json_object_get(st->ix_owner, id);
	}
	return v;
}

void
bc_catalog_set_sku(bc_state *st, json_t *p, json_t *v, const char *sku)
{
	char key[SKU_MAX_LEN + 8];
	json_t *target = v;
	const char *old;

	if (target == NULL) {
		/* a product's SKU is its base variant's (no options) */
		json_object_set_new(p, "sku", json_string(sku));
		target = json_array_get(json_object_get(p, "variants"), 0);
		if (target == NULL || json_array_size(json_object_get(
					      target, "option_values")) > 0)
			return;
	}
	old = sb_json_str(json_object_get(target, "sku"), "");
	if (*old) {
		sku_key(key, sizeof(key), old);
		if (json_object_get(st->ix_sku, key) == target)
			json_object_del(st->ix_sku, key);
	}
	json_object_set_new(target, "sku", json_string(sku));
	bc_index_variant(st, p, target);
}

void
bc_catalog_set_name(bc_state *st, json_t *p, const char *name)
{
	const char *old = sb_json_str(json_object_get(p, "name"), "");

	if (json_object_get(st->ix_name, old) == p)
		json_object_del(st->ix_name, old);
	json_object_set_new(p, "name", json_string(name));
	json_object_set(st->ix_name, name, p);
}

void
bc_catalog_record(bc_state *st, const char *method, const char *path,
		  const json_t *body)
{
	json_array_append_new(st->catalog_writes,
			      json_pack("{s:s,s:s,s:O}", "method", method,
					"path", path, "body", body));
}

static int
fail(char *msg, size_t msglen, const char **field, const char **code,
     const char *f, const char *c, const char *text)
{
	snprintf(msg, msglen, "%s", text);
	*field = f;
	*code = c;
	return strcmp(c, "duplicate") == 0 ? 409 : 422;
}

static int
check_num(const json_t *body, const char *key, double max, char *msg,
	  size_t msglen, const char **field, const char **code)
{
	const json_t *n = json_object_get(body, key);

	if (n == NULL)
		return 0;
	if (!json_is_number(n))
		return fail(msg, msglen, field, code, key,
			    "error.expected.jsnumber",
			    "JSON data is missing or invalid");
	if (json_number_value(n) < 0)
		return fail(msg, msglen, field, code, key, "error.min",
			    "JSON data is missing or invalid");
	if (max > 0 && json_number_value(n) > max)
		return fail(msg, msglen, field, code, key, "error.max",
			    "JSON data is missing or invalid");
	return 0;
}

/* The SKU s is free for variant v (NULL: a new one). */
static int
sku_free(bc_state *st, const char *s, const json_t *v)
{
	json_t *have = bc_variant_by_sku_ci(st, s, NULL);

	return have == NULL || have == v;
}

int
bc_catalog_check(bc_state *st, const json_t *p, const json_t *v,
		 const json_t *body, char *msg, size_t msglen,
		 const char **field, const char **code)
{
	const json_t *name = json_object_get(body, "name");
	const json_t *sku = json_object_get(body, "sku");
	const json_t *upc = json_object_get(body, "upc");
	const json_t *other, *base;
	int r;

	if (v == NULL && name != NULL) {
		size_t len =
			json_is_string(name) ? json_string_length(name) : 0;

		if (!json_is_string(name) || len < 1)
			return fail(msg, msglen, field, code, "name",
				    "error.minLength",
				    "JSON data is missing or invalid");
		if (len > NAME_MAX_LEN)
			return fail(msg, msglen, field, code, "name",
				    "error.maxLength",
				    "JSON data is missing or invalid");
		other = bc_product_by_name(st, json_string_value(name));
		if (other != NULL && other != p)
			return fail(msg, msglen, field, code, "name",
				    "duplicate",
				    "The product name is a duplicate");
	}
	if (sku != NULL) {
		if (!json_is_string(sku) ||
		    json_string_length(sku) > SKU_MAX_LEN)
			return fail(msg, msglen, field, code, "sku",
				    "error.maxLength",
				    "JSON data is missing or invalid");
		/* a product's SKU lives on its base variant */
		base = v;
		if (base == NULL && p != NULL)
			base = json_array_get(json_object_get(p, "variants"),
					      0);
		if (json_string_length(sku) > 0 &&
		    !sku_free(st, json_string_value(sku), base)) {
			char text[SKU_MAX_LEN + 64];

			snprintf(text, sizeof(text),
				 "The SKU '%s' is already in use",
				 json_string_value(sku));
			return fail(msg, msglen, field, code, "sku",
				    "duplicate", text);
		}
	}
	if (upc != NULL &&
	    (!json_is_string(upc) || json_string_length(upc) > UPC_MAX_LEN))
		return fail(msg, msglen, field, code, "upc", "error.maxLength",
			    "JSON data is missing or invalid");
	if ((r = check_num(body, "weight", WEIGHT_MAX, msg, msglen, field,
			   code)) != 0 ||
	    (r = check_num(body, "price", WEIGHT_MAX, msg, msglen, field,
			   code)) != 0)
		return r;
	return 0;
}
