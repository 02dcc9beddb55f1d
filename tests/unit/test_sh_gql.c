/*
 * test_sh_gql.c - the GraphQL reader of the ShipHero simulator
 * (tests/sandbox/shiphero/gql_*.c): executable documents and SDL parsed
 * into their parts, syntax errors with positions, the bounds that keep
 * hostile input cheap (depth, fragment fan-out, token count), validation
 * against a small schema, variable coercion and the credit estimate.
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

#include "shiphero/gql.h"

static const char sdl[] =
	"# a comment\n"
	"schema { query: Query mutation: Mutation }\n"
	"scalar ISODateTime\n"
	"enum Mode { FAST SLOW }\n"
	"interface Node { id: ID! }\n"
	"type PageInfo { hasNextPage: Boolean! endCursor: String }\n"
	"type Line implements Node { id: ID! sku: String qty: Int }\n"
	"type LineEdge { node: Line cursor: String! }\n"
	"type LineConnection { pageInfo: PageInfo! edges: [LineEdge]! }\n"
	"type Order implements Node { id: ID! number: String\n"
	"  lines(first: Int, after: String, last: Int): LineConnection\n"
	"  cost: Int }\n"
	"type OrderEdge { node: Order cursor: String! }\n"
	"type OrderConnection { pageInfo: PageInfo! edges: [OrderEdge]! }\n"
	"type OrdersResult { complexity: Int\n"
	"  data(first: Int, after: String): OrderConnection }\n"
	"input AddressInput { city: String zip: String! }\n"
	"input OrderInput { number: String address: AddressInput!\n"
	"  tags: [String!] mode: Mode = FAST when: ISODateTime }\n"
	"type Query { orders(number: String, mode: Mode): OrdersResult\n"
	"  order(id: String!): Order }\n"
	"type Mutation { create(data: OrderInput!): Order }\n"
	"extend type Order { updated_at: ISODateTime }\n";

static gql_schema *
schema(void)
{
	gql_errors errs;
	gql_schema *s;

	memset(&errs, 0, sizeof(errs));
	s = gql_schema_load(sdl, strlen(sdl), &errs);
	if (s == NULL)
		fail_msg("schema: %s", errs.n ? errs.e[0].message : "?");
	return s;
}

/* Validate text; the first error's message or "" when valid. */
static char first_error[400];

static const char *
check(gql_schema *s, const char *text)
{
	gql_errors errs;
	gql_doc *d;

	memset(&errs, 0, sizeof(errs));
	d = gql_parse(text, strlen(text), 0, &errs);
	if (d != NULL)
		gql_validate(s, d, &errs);
	gql_doc_free(d);
	snprintf(first_error, sizeof(first_error), "%s",
		 errs.n ? errs.e[0].message : "");
	return first_error;
}

static void
test_gql__parse_parts(void **state)
{
	const char text[] =
		"query Q($n: String = \"x\", $ids: [Int!]!) {\n"
		"  a: orders(number: $n, mode: FAST) { data(first: 2) {\n"
		"    edges { node { ...F ... on Order { id } } } } }\n"
		"}\n"
		"fragment F on Order { number lines(first: 3) { edges { node "
		"{ sku } } } }\n"
		"mutation M { create(data: {address: {zip: \"\\u00e9\\n\"}, "
		"tags: [\"a\", \"b\"], number: \"\"\"block \\\"\"\" "
		"text\"\"\"}) "
		"{ id } }";
	gql_errors errs;
	gql_doc *d;
	const gql_op *op;
	const gql_sel *f;
	const gql_value *v;
	char buf[128];

	(void)state;
	memset(&errs, 0, sizeof(errs));
	d = gql_parse(text, strlen(text), 0, &errs);
	assert_non_null(d);
	op = d->ops;
	assert_string_equal(op->kind, "query");
	assert_string_equal(op->name, "Q");
	assert_string_equal(op->vars->name, "n");
	assert_int_equal(op->vars->def->kind, GQL_V_STRING);
	assert_string_equal(
		gql_type_str(op->vars->next->type, buf, sizeof(buf)),
		"[Int!]!");
	f = op->sel;
	assert_string_equal(f->alias, "a");
	assert_string_equal(f->name, "orders");
	assert_int_equal(f->args->value->kind, GQL_V_VAR);
	assert_int_equal(f->args->next->value->kind, GQL_V_ENUM);
	assert_int_equal(f->line, 2);
	assert_int_equal(f->col, 3);
	f = f->sub->sub->sub->sub; /* data > edges > node > ...F */
	assert_int_equal(f->kind, GQL_S_SPREAD);
	assert_int_equal(f->next->kind, GQL_S_INLINE);
	assert_string_equal(f->next->type_cond, "Order");
	assert_string_equal(d->frags->name, "F");
	op = op->next;
	assert_string_equal(op->kind, "mutation");
	v = op->sel->args->value->items; /* address */
	assert_string_equal(v->name, "address");
	assert_string_equal(v->items->s, "\xc3\xa9\n");
	assert_int_equal(v->next->kind, GQL_V_LIST);
	assert_string_equal(v->next->next->s, "block \"\"\" text");
	gql_doc_free(d);
}

static void
test_gql__syntax_errors(void **state)
{
	static const struct {
		const char *text, *message;
		int line, col;
	} cases[] = {
		{"{ a", "Syntax Error: Expected Name, found <EOF>.", 1, 4},
		{"{ a(x: \"open) }", "Syntax Error: Unterminated string.", 1,
		 8},
		{"{ a(x: 01) }",
		 "Syntax Error: Invalid number, unexpected digit after 0.", 1,
		 8},
		{"{ a }\n ?", "Syntax Error: Unexpected character: \"?\".", 2,
		 2},
		{"{ a(x: \"\\q\") }",
		 "Syntax Error: Invalid character escape sequence.", 1, 8},
		{"{ }", "Syntax Error: Expected Name, found \"}\".", 1, 3},
		{"", "Syntax Error: Expected \"{\", found <EOF>.", 1, 1},
		{"query Q($x Int) { a }",
		 "Syntax Error: Expected \":\", found Name \"Int\".", 1, 12},
		{"fragment on on X { a }",
		 "Syntax Error: Unexpected Name \"on\".", 1, 10},
		{"{ a(x: $) }", "Syntax Error: Expected Name, found \")\".", 1,
		 9},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gql_errors errs;
		gql_doc *d;

		memset(&errs, 0, sizeof(errs));
		d = gql_parse(cases[i].text, strlen(cases[i].text), 0, &errs);
		assert_null(d);
		assert_int_equal(errs.n, 1);
		assert_string_equal(errs.e[0].message, cases[i].message);
		assert_int_equal(errs.e[0].line, cases[i].line);
		assert_int_equal(errs.e[0].col, cases[i].col);
	}
}

static void
test_gql__bounds(void **state)
{
	size_t n = 100000, i;
	char *text = malloc(2 * n + 16);
	gql_errors errs;
	gql_doc *d;
	gql_schema *s = schema();
	char fan[4096];
	int len;

	(void)state;
	assert_non_null(text);
	/* selections nested 100 000 deep: refused, no stack overflow */
	for (i = 0; i < n; i++)
		text[i] = i % 2 ? 'a' : '{';
	text[n] = '\0';
	memset(&errs, 0, sizeof(errs));
	d = gql_parse(text, n, 0, &errs);
	assert_null(d);
	assert_non_null(strstr(errs.e[0].message, "nested too deeply"));
	/* the same with list values and list types */
	len = snprintf(text, 32, "{ a(x: ");
	for (i = 0; i < n; i++)
		text[len + i] = '[';
	text[len + n] = '\0';
	memset(&errs, 0, sizeof(errs));
	assert_null(gql_parse(text, strlen(text), 0, &errs));
	assert_non_null(strstr(errs.e[0].message, "nested too deeply"));
	len = snprintf(text, 32, "query Q($x: ");
	for (i = 0; i < n; i++)
		text[len + i] = '[';
	text[len + n] = '\0';
	memset(&errs, 0, sizeof(errs));
	assert_null(gql_parse(text, strlen(text), 0, &errs));
	assert_non_null(strstr(errs.e[0].message, "nested too deeply"));
	/* too many tokens (250 000 names) */
	{
		size_t big = 500000;
		char *many = malloc(big + 1);

		assert_non_null(many);
		for (i = 0; i < big; i++)
			many[i] = i % 2 ? ' ' : 'a';
		many[0] = '{';
		many[big] = '\0';
		memset(&errs, 0, sizeof(errs));
		assert_null(gql_parse(many, big, 0, &errs));
		assert_non_null(strstr(errs.e[0].message, "too large"));
		free(many);
	}
	/* an over-long name */
	memset(text, 'a', 400);
	text[0] = '{';
	text[1] = ' ';
	text[400] = '\0';
	memset(&errs, 0, sizeof(errs));
	assert_null(gql_parse(text, strlen(text), 0, &errs));
	assert_string_equal(errs.e[0].message, "Syntax Error: Name too long.");
	free(text);
	/* fragments that double at each level: 2^40 expansions unless
	 * bounded; validation stops early */
	len = snprintf(fan, sizeof(fan), "{ order(id: \"1\") { ...F0 } }\n");
	for (i = 0; i < 40; i++)
		len += snprintf(fan + len, sizeof(fan) - (size_t)len,
				"fragment F%zu on Order { ...F%zu ...F%zu }\n",
				i, i + 1, i + 1);
	snprintf(fan + len, sizeof(fan) - (size_t)len,
		 "fragment F40 on Order { id }\n");
	assert_string_equal(check(s, fan), "Document too complex.");
	/* a cycle */
	assert_string_equal(check(s, "{ order(id: \"1\") { ...A } } fragment A "
				     "on Order { ...B } fragment B on Order { "
				     "...A }"),
			    "Cannot spread fragment \"A\" within itself.");
	gql_schema_free(s);
}

static void
test_gql__validation(void **state)
{
	gql_schema *s = schema();

	(void)state;
	assert_int_equal(gql_schema_ntypes(s), 5 + 15);
	assert_string_equal(
		check(s, "query Q($n: String) { orders(number: $n) { data { "
			 "edges { node { id updated_at } } } } }"),
		"");
	assert_string_equal(check(s, "{ orders { data { edges { node { x } } "
				     "} } }"),
			    "Cannot query field \"x\" on type \"Order\".");
	assert_string_equal(
		check(s, "{ orders(mode: MEDIUM) { complexity } }"),
		"Value \"MEDIUM\" does not exist in \"Mode\" enum.");
	assert_string_equal(
		check(s, "{ orders(mode: \"FAST\") { complexity } }"),
		"Expected value of type \"Mode\", found \"FAST\".");
	assert_string_equal(check(s, "{ order(id: null) { id } }"),
			    "Expected value of type \"String!\", found null.");
	assert_string_equal(check(s, "{ order(id: \"1\") { id(x: 1) } }"),
			    "Unknown argument \"x\" on field \"Order.id\".");
	assert_string_equal(check(s, "{ order(id: \"1\") { id { a } } }"),
			    "Field \"id\" must not have a selection since type "
			    "\"ID!\" has no subfields.");
	assert_string_equal(check(s, "mutation { create(data: {address: {}}) "
				     "{ id } }"),
			    "Field \"AddressInput.zip\" of required type "
			    "\"String!\" was not provided.");
	assert_string_equal(check(s, "mutation { create(data: {address: {zip: "
				     "\"1\"}, colour: 1}) { id } }"),
			    "Field \"colour\" is not defined by type "
			    "\"OrderInput\".");
	assert_string_equal(check(s, "query ($o: Order) { order(id: \"1\") { "
				     "id } }"),
			    "Variable \"$o\" cannot be non-input type "
			    "\"Order\".");
	assert_string_equal(check(s, "query ($o: Nope) { order(id: \"1\") { "
				     "id } }"),
			    "Unknown type \"Nope\".");
	assert_string_equal(check(s, "{ order(id: $i) { id } }"),
			    "Variable \"$i\" is not defined.");
	assert_string_equal(check(s, "subscription { a }"),
			    "Schema is not configured for subscriptions.");
	/* a nullable variable with a default fills a non-null argument */
	assert_string_equal(check(s, "query ($i: String = \"1\") { order(id: "
				     "$i) { id } }"),
			    "");
	assert_string_equal(check(s, "query ($i: String) { order(id: $i) { id "
				     "} }"),
			    "Variable \"$i\" of type \"String\" used in "
			    "position expecting type \"String!\".");
	gql_schema_free(s);
}

static void
test_gql__variables_and_complexity(void **state)
{
	gql_schema *s = schema();
	gql_errors errs;
	gql_doc *d;
	json_t *in, *out;
	const char q[] = "mutation Q($d: OrderInput!, $n: Int = 7) { "
			 "create(data: $d) { id "
			 "lines(first: $n) { edges { node { sku } } } } }";
	const char q2[] = "{ orders { data { edges { node { lines { edges { "
			  "node { sku } } } } } } } }";

	(void)state;
	memset(&errs, 0, sizeof(errs));
	d = gql_parse(q, strlen(q), 0, &errs);
	assert_non_null(d);
	gql_validate(s, d, &errs);
	assert_string_equal(errs.n ? errs.e[0].message : "", "");
	in = json_loads(
		"{\"d\":{\"address\":{\"zip\":\"1\"},\"tags\":\"one\"}}", 0,
		NULL);
	out = gql_coerce_vars(s, d->ops, in, &errs);
	assert_non_null(out);
	assert_int_equal(json_integer_value(json_object_get(out, "n")), 7);
	/* 7 lines of 1 each */
	assert_int_equal(
		gql_complexity(s, d, "Mutation", d->ops->sel, out, NULL, 0), 7);
	json_decref(out);
	json_decref(in);
	in = json_loads("{\"d\":{\"address\":{\"zip\":5}}}", 0, NULL);
	assert_null(gql_coerce_vars(s, d->ops, in, &errs));
	assert_string_equal(errs.e[0].message,
			    "Variable \"$d\" got invalid value at "
			    "\"d.address.zip\"; String cannot represent value: "
			    "5");
	json_decref(in);
	memset(&errs, 0, sizeof(errs));
	assert_null(gql_coerce_vars(s, d->ops, NULL, &errs));
	assert_string_equal(errs.e[0].message,
			    "Variable \"$d\" of required type \"OrderInput!\" "
			    "was not provided.");
	in = json_loads("{\"d\":{\"address\":{\"zip\":\"1\"},\"mode\":\"X\"}}",
			0, NULL);
	assert_null(gql_coerce_vars(s, d->ops, in, &errs));
	json_decref(in);
	gql_doc_free(d);
	/* nested connections without first: 100 x 100 */
	memset(&errs, 0, sizeof(errs));
	d = gql_parse(q2, strlen(q2), 0, &errs);
	assert_non_null(d);
	assert_int_equal(
		gql_complexity(s, d, "Query", d->ops->sel, NULL, NULL, 0),
		10000);
	{
		gql_cost_rule r = {"Line", "sku", 3};

		assert_int_equal(
			gql_complexity(s, d, "Query", d->ops->sel, NULL, &r, 1),
			30000);
	}
	gql_doc_free(d);
	/* operation selection */
	memset(&errs, 0, sizeof(errs));
	{
		static const char two[] = "query A { orders { complexity } } "
					  "query B { orders { complexity } }";

		d = gql_parse(two, strlen(two), 0, &errs);
	}
	assert_non_null(d);
	assert_null(gql_select_op(d, NULL, &errs));
	assert_string_equal(errs.e[0].message,
			    "Must provide operation name if query contains "
			    "multiple operations.");
	assert_string_equal(gql_select_op(d, "B", &errs)->name, "B");
	gql_doc_free(d);
	gql_schema_free(s);
}

/* The real schema file, when it is beside the source tree. */
static void
test_gql__shiphero_schema_file(void **state)
{
	const char *src = getenv("PS_SOURCE_DIR");
	char path[1024];
	FILE *f;
	char *buf;
	long n;
	gql_errors errs;
	gql_schema *s;

	(void)state;
	snprintf(path, sizeof(path),
		 "%s/../shared/specs/shiphero/shiphero-schema.DERIVED.graphql",
		 src ? src : ".");
	f = fopen(path, "rb");
	if (f == NULL)
		skip();
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	memset(&errs, 0, sizeof(errs));
	s = gql_schema_load(buf, (size_t)n, &errs);
	free(buf);
	assert_non_null(s);
	/* extend type reached the 2023 fields */
	assert_non_null(
		gql_tdef_field(gql_schema_type(s, "Order"), "updated_at"));
	assert_non_null(gql_tdef_field(gql_schema_type(s, "ShippingLabel"),
				       "tracking_url"));
	assert_string_equal(check(s, "{ shipments(date_from: \"2025-01-01\") { "
				     "data(first: 50) { pageInfo { hasNextPage "
				     "endCursor } edges { node { id "
				     "total_packages shipping_labels { "
				     "tracking_url } } } } } }"),
			    "");
	gql_schema_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gql__parse_parts),
		cmocka_unit_test(test_gql__syntax_errors),
		cmocka_unit_test(test_gql__bounds),
		cmocka_unit_test(test_gql__validation),
		cmocka_unit_test(test_gql__variables_and_complexity),
		cmocka_unit_test(test_gql__shiphero_schema_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
