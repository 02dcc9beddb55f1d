/*
 * test_sh_queries.c - every GraphQL document the ShipHero connector sends
 * (core/platforms/shiphero/queries.c, the table ps_sh__ops) is valid
 * against the simulator's schema (tests/sandbox/shiphero/schema.graphql)
 * and, when it is beside the source tree, against ShipHero's full schema
 * description, checked with the simulator's own GraphQL reader.  Each
 * document also holds exactly one operation whose single root field is
 * the one the connector reads (op->field), and its counter label names
 * that field.
 */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platforms/shiphero/shiphero_int.h"
#include "shiphero/gql.h"

#define SUBSET_SDL "tests/sandbox/shiphero/schema.graphql"
#define FULL_SDL "../shared/specs/shiphero/shiphero-schema.DERIVED.graphql"

static const char *
source_path(char *buf, size_t len, const char *rel)
{
	const char *src = getenv("PS_SOURCE_DIR");

	snprintf(buf, len, "%s/%s", src ? src : ".", rel);
	return buf;
}

/* The schema in the file at path, or NULL when the file is absent. */
static gql_schema *
load_schema(const char *path)
{
	FILE *f = fopen(path, "rb");
	gql_schema *s = NULL;
	gql_errors errs;
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL &&
	    fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		memset(&errs, 0, sizeof(errs));
		s = gql_schema_load(buf, (size_t)n, &errs);
		if (s == NULL)
			fail_msg("%s: %s", path,
				 errs.n ? errs.e[0].message : "?");
	}
	free(buf);
	fclose(f);
	return s;
}

/*
 * Check one document against s: parse, validate, one operation, one
 * root field named `field`.  Returns the number of problems, each
 * printed with the operation's endpoint label.
 */
static size_t
check_doc(const gql_schema *s, const char *label, const char *text,
	  const char *field)
{
	gql_errors errs;
	gql_doc *d;
	size_t bad = 0, i;

	memset(&errs, 0, sizeof(errs));
	d = gql_parse(text, strlen(text), 0, &errs);
	if (d != NULL)
		gql_validate(s, d, &errs);
	for (i = 0; i < errs.n; i++)
		print_message("%s: %d:%d: %s\n", label, errs.e[i].line,
			      errs.e[i].col, errs.e[i].message);
	bad += errs.n;
	if (d != NULL) {
		const gql_op *op = d->ops;

		if (op == NULL || op->next != NULL) {
			print_message("%s: not exactly one operation\n", label);
			bad++;
		} else if (op->sel == NULL || op->sel->next != NULL ||
			   op->sel->kind != GQL_S_FIELD ||
			   strcmp(op->sel->name, field) != 0) {
			print_message("%s: the root field is not \"%s\"\n",
				      label, field);
			bad++;
		}
	}
	gql_doc_free(d);
	return bad;
}

static size_t
check_all(const gql_schema *s, const char *schema_name)
{
	size_t i, bad = 0;

	for (i = 0; ps_sh__ops[i] != NULL; i++) {
		const ps_sh__op *op = ps_sh__ops[i];
		char label[160];

		snprintf(label, sizeof(label), "%s (%s)", op->endpoint,
			 schema_name);
		bad += check_doc(s, label, op->query, op->field);
	}
	return bad;
}

/* The table itself: labels name their field, costs are positive, and
 * no two operations share a label (the limiter finds costs by label). */
static void
test_queries__table(void **state)
{
	size_t i, j, n = 0;

	(void)state;
	for (i = 0; ps_sh__ops[i] != NULL; i++) {
		const ps_sh__op *op = ps_sh__ops[i];
		size_t fl = strlen(op->field);

		n++;
		assert_int_equal(strncmp(op->endpoint, "graphql/", 8), 0);
		assert_int_equal(strncmp(op->endpoint + 8, op->field, fl), 0);
		assert_true(op->endpoint[8 + fl] == '\0' ||
			    op->endpoint[8 + fl] == '/');
		assert_true(op->cost > 0);
		assert_ptr_equal(ps_sh__op_by_endpoint(op->endpoint), op);
		for (j = 0; j < i; j++)
			assert_string_not_equal(ps_sh__ops[j]->endpoint,
						op->endpoint);
	}
	/* the operations the flows need are all there */
	assert_true(n >= 12);
	assert_non_null(ps_sh__op_by_endpoint("graphql/product_create"));
	assert_non_null(ps_sh__op_by_endpoint("graphql/order_create"));
	assert_non_null(ps_sh__op_by_endpoint("graphql/shipments"));
}

/* Every document against the simulator's schema (always in the tree). */
static void
test_queries__simulator_schema(void **state)
{
	char path[1024];
	gql_schema *s;

	(void)state;
	s = load_schema(source_path(path, sizeof(path), SUBSET_SDL));
	assert_non_null(s);
	assert_int_equal(check_all(s, "simulator schema"), 0);
	gql_schema_free(s);
}

/* Every document against ShipHero's full schema, when it is there. */
static void
test_queries__full_schema(void **state)
{
	char path[1024];
	gql_schema *s;

	(void)state;
	s = load_schema(source_path(path, sizeof(path), FULL_SDL));
	if (s == NULL) {
		print_message("SKIPPED: %s not found\n", path);
		skip();
	}
	assert_int_equal(check_all(s, "ShipHero schema"), 0);
	gql_schema_free(s);
}

/* The check can fail: a field the schema lacks, a wrong argument type,
 * an undeclared variable and a second root field are each caught. */
static void
test_queries__check_catches(void **state)
{
	char path[1024];
	gql_schema *s;

	(void)state;
	s = load_schema(source_path(path, sizeof(path), SUBSET_SDL));
	assert_non_null(s);
	assert_int_equal(check_doc(s, "ok", ps_sh__op_product.query,
				   ps_sh__op_product.field),
			 0);
	assert_true(check_doc(s, "unknown field",
			      "query P($sku: String) { product(sku: $sku) { "
			      "data { id no_such_field } } }",
			      "product") > 0);
	assert_true(check_doc(s, "argument type",
			      "query P($sku: Int) { product(sku: $sku) { "
			      "data { id } } }",
			      "product") > 0);
	assert_true(check_doc(s, "undeclared variable",
			      "query P { product(sku: $sku) { data { id } } }",
			      "product") > 0);
	assert_true(check_doc(s, "two roots",
			      "query P($sku: String) { product(sku: $sku) { "
			      "data { id } } account { request_id } }",
			      "product") > 0);
	assert_true(check_doc(s, "wrong root", ps_sh__op_product.query,
			      "products") > 0);
	gql_schema_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queries__table),
		cmocka_unit_test(test_queries__simulator_schema),
		cmocka_unit_test(test_queries__full_schema),
		cmocka_unit_test(test_queries__check_catches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
