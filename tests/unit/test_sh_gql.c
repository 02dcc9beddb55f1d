/*
 * test_sh_gql.c - the GraphQL reader of the ShipHero simulator
 * (tests/sandbox/shiphero/gql_*.c): executable documents and SDL parsed
 * into their parts, syntax errors with positions, the bounds that keep
 * hostile input cheap (depth, fragment fan-out, token count), validation
 * against a small schema, variable coercion and the credit estimate;
 * the simulator's own schema file and the comparison that keeps it a
 * faithful subset of ShipHero's (also run as "test_sh_gql --subset").
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

/* ---- the ShipHero schema files ------------------------------------------ */

/* A whole file in a malloc'ed buffer, NUL-terminated; NULL when absent. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = '\0';
			*len = (size_t)n;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

static gql_schema *
load_file(const char *path)
{
	size_t n = 0;
	char *buf = slurp(path, &n);
	gql_errors errs;
	gql_schema *s;

	if (buf == NULL)
		return NULL;
	memset(&errs, 0, sizeof(errs));
	s = gql_schema_load(buf, n, &errs);
	free(buf);
	if (s == NULL)
		fail_msg("%s: %s", path, errs.n ? errs.e[0].message : "?");
	return s;
}

static int
same_default(const gql_value *a, const gql_value *b)
{
	char x[128], y[128];

	if (a == NULL || b == NULL)
		return a == b;
	return a->kind == b->kind &&
	       strcmp(gql_value_str(a, x, sizeof(x)),
		      gql_value_str(b, y, sizeof(y))) == 0;
}

static const gql_fdef *
fdef_find(const gql_fdef *f, const char *name)
{
	for (; f; f = f->next)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static size_t
fdef_count(const gql_fdef *f)
{
	size_t n = 0;

	for (; f; f = f->next)
		n++;
	return n;
}

static int
name_in(const gql_name *n, const char *name)
{
	for (; n; n = n->next)
		if (strcmp(n->name, name) == 0)
			return 1;
	return 0;
}

static size_t
name_count(const gql_name *n)
{
	size_t k = 0;

	for (; n; n = n->next)
		k++;
	return k;
}

/*
 * Fields (or arguments) of the subset against those of the full schema:
 * each one must exist there with the same type (wrappers included) and
 * default.  complete: the subset must also hold every one of the full
 * list (input fields and arguments, which a client may send).  Returns
 * the number of differences, each written to out.
 */
static size_t
diff_fields(const char *where, const gql_fdef *sub, const gql_fdef *full,
	    int complete, int args, FILE *out)
{
	size_t bad = 0;
	const gql_fdef *f, *o;
	char a[128], b[128];

	for (f = sub; f; f = f->next) {
		o = fdef_find(full, f->name);
		if (o == NULL) {
			fprintf(out, "%s.%s: not in the full schema\n", where,
				f->name);
			bad++;
			continue;
		}
		if (strcmp(gql_type_str(f->type, a, sizeof(a)),
			   gql_type_str(o->type, b, sizeof(b))) != 0) {
			fprintf(out,
				"%s.%s: type %s, the full schema says %s\n",
				where, f->name, a, b);
			bad++;
		}
		if (!same_default(f->def, o->def)) {
			fprintf(out, "%s.%s: default differs\n", where,
				f->name);
			bad++;
		}
		if (args) {
			char sub_where[320];

			snprintf(sub_where, sizeof(sub_where), "%s.%s()", where,
				 f->name);
			bad += diff_fields(sub_where, f->args, o->args, 1, 0,
					   out);
		}
	}
	if (complete && fdef_count(sub) != fdef_count(full))
		for (o = full; o; o = o->next)
			if (fdef_find(sub, o->name) == NULL) {
				fprintf(out, "%s.%s: missing from the subset\n",
					where, o->name);
				bad++;
			}
	return bad;
}

/*
 * subset_diff - every type of the subset SDL must be declared the same
 * way by the full SDL: same kind, its fields with the same types and
 * arguments (objects and interfaces may leave fields out; arguments,
 * input fields, enum values and union members must all be there), and
 * the same root type names.  Returns the number of differences (each
 * written to out), or (size_t)-1 when either text does not load.
 */
static size_t
subset_diff(const char *sub_sdl, size_t sub_len, const char *full_sdl,
	    size_t full_len, FILE *out)
{
	gql_errors errs;
	gql_doc *doc;
	gql_schema *sub, *full;
	const gql_tdef *t;
	size_t bad = 0;

	memset(&errs, 0, sizeof(errs));
	doc = gql_parse(sub_sdl, sub_len, 1, &errs);
	sub = gql_schema_load(sub_sdl, sub_len, &errs);
	full = gql_schema_load(full_sdl, full_len, &errs);
	if (doc == NULL || sub == NULL || full == NULL) {
		fprintf(out, "schema not loaded: %s\n",
			errs.n ? errs.e[0].message : "?");
		gql_doc_free(doc);
		gql_schema_free(sub);
		gql_schema_free(full);
		return (size_t)-1;
	}
	if (strcmp(gql_schema_root(sub, "query")->name,
		   gql_schema_root(full, "query")->name) != 0 ||
	    (gql_schema_root(sub, "mutation") &&
	     (gql_schema_root(full, "mutation") == NULL ||
	      strcmp(gql_schema_root(sub, "mutation")->name,
		     gql_schema_root(full, "mutation")->name) != 0))) {
		fprintf(out, "schema: root types differ\n");
		bad++;
	}
	/* the document lists each declaration; the schema has it merged */
	for (t = doc->types; t; t = t->next) {
		const gql_tdef *s = gql_schema_type(sub, t->name);
		const gql_tdef *o = gql_schema_type(full, t->name);
		const gql_name *n;

		if (t->extend)
			continue;
		if (o == NULL) {
			fprintf(out, "%s: not in the full schema\n", t->name);
			bad++;
			continue;
		}
		if (s->kind != o->kind) {
			fprintf(out, "%s: another kind of type there\n",
				t->name);
			bad++;
			continue;
		}
		switch (s->kind) {
		case GQL_T_OBJECT:
		case GQL_T_INTERFACE:
			bad += diff_fields(s->name, s->fields, o->fields, 0, 1,
					   out);
			for (n = s->values; n; n = n->next)
				if (!name_in(o->values, n->name)) {
					fprintf(out,
						"%s: implements %s, the full "
						"schema does not say so\n",
						s->name, n->name);
					bad++;
				}
			break;
		case GQL_T_INPUT:
			bad += diff_fields(s->name, s->fields, o->fields, 1, 0,
					   out);
			break;
		case GQL_T_ENUM:
		case GQL_T_UNION:
			for (n = s->values; n; n = n->next)
				if (!name_in(o->values, n->name)) {
					fprintf(out,
						"%s.%s: not in the full "
						"schema\n",
						s->name, n->name);
					bad++;
				}
			if (name_count(s->values) != name_count(o->values)) {
				for (n = o->values; n; n = n->next)
					if (!name_in(s->values, n->name))
						fprintf(out,
							"%s.%s: missing from "
							"the subset\n",
							s->name, n->name);
				bad++;
			}
			break;
		default:
			break;
		}
	}
	gql_doc_free(doc);
	gql_schema_free(sub);
	gql_schema_free(full);
	return bad;
}

/* A path below the source tree. */
static const char *
source_path(char *buf, size_t len, const char *rel)
{
	const char *src = getenv("PS_SOURCE_DIR");

	snprintf(buf, len, "%s/%s", src ? src : ".", rel);
	return buf;
}

#define SUBSET_SDL "tests/sandbox/shiphero/schema.graphql"
#define FULL_SDL "../shared/specs/shiphero/shiphero-schema.DERIVED.graphql"

/* The simulator's own schema (always in the tree): loads and validates
 * what the simulator answers, refuses what it does not. */
static void
test_gql__subset_schema_file(void **state)
{
	char path[1024];
	gql_schema *s;

	(void)state;
	s = load_file(source_path(path, sizeof(path), SUBSET_SDL));
	assert_non_null(s);
	assert_non_null(
		gql_tdef_field(gql_schema_type(s, "Order"), "updated_at"));
	assert_string_equal(check(s, "{ shipments(date_from: \"2025-01-01\") { "
				     "data(first: 50) { pageInfo { hasNextPage "
				     "endCursor } edges { node { id "
				     "total_packages shipping_labels { "
				     "tracking_url } } } } } }"),
			    "");
	assert_string_equal(
		check(s, "mutation M($d: CreateWebhookInput!) { "
			 "webhook_create(data: $d) { request_id webhook { "
			 "id shared_signature_secret } } }"),
		"");
	/* a root field the simulator does not serve is unknown here */
	assert_string_equal(check(s, "{ purchase_orders { request_id } }"),
			    "Cannot query field \"purchase_orders\" on type "
			    "\"Query\".");
	gql_schema_free(s);
}

/* The comparison itself: the subset against a full schema of the test's
 * own, equal, then with one difference of each kind. */
static void
test_gql__subset_diff(void **state)
{
	static const char full[] =
		"schema { query: Query }\n"
		"enum Mode { FAST SLOW }\n"
		"input In { a: String! b: Int = 3 }\n"
		"type T { id: ID! tags: [String!] n(x: Int, y: Mode): Int "
		"more: String }\n"
		"type Query { t(id: String!, in: In): T }\n"
		"extend type T { late: Int }\n";
	static const char *const good[] = {
		"type Query { t(id: String!, in: In): T }\n"
		"type T { id: ID! n(x: Int, y: Mode): Int late: Int }\n"
		"input In { a: String! b: Int = 3 }\n"
		"enum Mode { SLOW FAST }\n",
	};
	static const char *const bad[] = {
		/* nullability of a field */
		"type Query { t(id: String!, in: In): T }\n"
		"type T { id: ID }\n",
		/* a list wrapper lost */
		"type Query { t(id: String!, in: In): T }\n"
		"type T { tags: String! }\n",
		/* a field that is not there */
		"type Query { t(id: String!, in: In): T }\n"
		"type T { colour: String }\n",
		/* an argument's type */
		"type Query { t(id: String, in: In): T }\n",
		/* an argument left out */
		"type Query { t(id: String!): T }\n",
		/* an argument that is not there */
		"type Query { t(id: String!, in: In, z: Int): T }\n",
		/* an enum value */
		"type Query { t(id: String!, in: In): T }\n"
		"enum Mode { FAST SLOW TURBO }\n",
		/* an enum value left out */
		"type Query { t(id: String!, in: In): T }\n"
		"enum Mode { FAST }\n",
		/* an input field left out */
		"type Query { t(id: String!, in: In): T }\n"
		"input In { a: String! }\n",
		/* an input default */
		"type Query { t(id: String!, in: In): T }\n"
		"input In { a: String! b: Int = 4 }\n",
		/* a type of another kind */
		"type Query { t(id: String!, in: In): T }\n"
		"input T { id: ID! }\n",
		/* a type that is not there */
		"type Query { t(id: String!, in: In): T }\n"
		"type U { id: ID! }\n",
		/* a field added by extension with another type */
		"type Query { t(id: String!, in: In): T }\n"
		"type T { id: ID! }\nextend type T { late: String }\n",
	};
	FILE *sink = fopen("/dev/null", "w");
	size_t i;

	(void)state;
	assert_non_null(sink);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(subset_diff(good[i], strlen(good[i]), full,
					     strlen(full), sink),
				 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = subset_diff(bad[i], strlen(bad[i]), full,
				       strlen(full), sink);

		if (n == 0 || n == (size_t)-1)
			fail_msg("case %zu: %zu differences", i, n);
	}
	fclose(sink);
}

/* The full schema file, when it is beside the source tree. */
static void
test_gql__shiphero_schema_file(void **state)
{
	char path[1024];
	gql_schema *s;

	(void)state;
	s = load_file(source_path(path, sizeof(path), FULL_SDL));
	if (s == NULL)
		skip();
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

/*
 * test_sh_gql --subset SUBSET FULL: compare two SDL files (the ctest
 * sh_shiphero_schema_subset).  Exit 0 when SUBSET declares nothing FULL
 * does not declare identically, 1 with the differences listed, 2 when a
 * file cannot be read or loaded.
 */
static int
subset_main(const char *sub_path, const char *full_path)
{
	size_t sub_len = 0, full_len = 0, bad;
	char *sub = slurp(sub_path, &sub_len);
	char *full = slurp(full_path, &full_len);

	if (sub == NULL || full == NULL) {
		fprintf(stderr, "cannot read %s\n",
			sub == NULL ? sub_path : full_path);
		free(sub);
		free(full);
		return 2;
	}
	bad = subset_diff(sub, sub_len, full, full_len, stdout);
	free(sub);
	free(full);
	if (bad == (size_t)-1)
		return 2;
	printf("%zu difference(s)\n", bad);
	return bad ? 1 : 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gql__parse_parts),
		cmocka_unit_test(test_gql__syntax_errors),
		cmocka_unit_test(test_gql__bounds),
		cmocka_unit_test(test_gql__validation),
		cmocka_unit_test(test_gql__variables_and_complexity),
		cmocka_unit_test(test_gql__subset_schema_file),
		cmocka_unit_test(test_gql__subset_diff),
		cmocka_unit_test(test_gql__shiphero_schema_file),
	};

	if (argc == 4 && strcmp(argv[1], "--subset") == 0)
		return subset_main(argv[2], argv[3]);

	return cmocka_run_group_tests(tests, NULL, NULL);
}
