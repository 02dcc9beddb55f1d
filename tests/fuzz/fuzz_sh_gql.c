/*
 * fuzz_sh_gql.c - the ShipHero simulator's GraphQL reader
 * (tests/sandbox/shiphero/gql_*.c) on hostile documents.  The input is
 * split at the first NUL: before it a query document, after it a JSON
 * variables object.  The query is parsed, validated against a small
 * built-in schema shaped like ShipHero's (connections, inputs with
 * required fields, enums, an interface), its variables coerced, and its
 * complexity estimated for every operation; the whole input is also read
 * as SDL.  Nothing may crash, leak or run away.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "shiphero/gql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char sdl[] =
	"schema { query: Query mutation: Mutation }\n"
	"scalar ISODateTime\nscalar GenericScalar\n"
	"enum Mode { FAST SLOW }\n"
	"interface Node { id: String }\n"
	"type PageInfo { hasNextPage: Boolean! endCursor: String }\n"
	"type Line implements Node { id: String sku: String qty: Int "
	"custom: GenericScalar }\n"
	"type LineEdge { node: Line cursor: String }\n"
	"type LineConnection { pageInfo: PageInfo! edges: [LineEdge]! }\n"
	"type Order implements Node { id: String number: String\n"
	"  lines(first: Int, after: String, last: Int, before: String): "
	"LineConnection\n  updated_at: ISODateTime }\n"
	"type OrderEdge { node: Order cursor: String }\n"
	"type OrderConnection { pageInfo: PageInfo! edges: [OrderEdge]! }\n"
	"type OrdersResult { request_id: String complexity: Int\n"
	"  data(first: Int, after: String, last: Int, before: String): "
	"OrderConnection }\n"
	"input AddressInput { city: String zip: String! }\n"
	"input LineInput { sku: String! qty: Int! price: String! }\n"
	"input OrderInput { number: String address: AddressInput!\n"
	"  lines: [LineInput] tags: [String] mode: Mode = FAST when: "
	"ISODateTime }\n"
	"type Query { orders(number: String, mode: Mode, analyze: Boolean): "
	"OrdersResult\n  order(id: String!): Order node(id: String!): Node }\n"
	"type Mutation { create(data: OrderInput!): Order }\n";

static gql_schema *schema;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t qlen = size;
	const uint8_t *nul = memchr(data, 0, size);
	json_t *vars = NULL;
	gql_errors errs;
	gql_doc *doc;
	const gql_op *op;

	if (schema == NULL) {
		memset(&errs, 0, sizeof(errs));
		schema = gql_schema_load(sdl, strlen(sdl), &errs);
		if (schema == NULL)
			abort();
	}
	if (nul != NULL) {
		qlen = (size_t)(nul - data);
		vars = json_loadb((const char *)nul + 1, size - qlen - 1, 0,
				  NULL);
	}
	memset(&errs, 0, sizeof(errs));
	doc = gql_parse(text, qlen, 0, &errs);
	if (doc != NULL && gql_validate(schema, doc, &errs) == 0) {
		for (op = doc->ops; op; op = op->next) {
			json_t *v = gql_coerce_vars(schema, op, vars, &errs);
			const gql_tdef *root =
				gql_schema_root(schema, op->kind);
			const gql_sel *s;

			if (v == NULL || root == NULL) {
				json_decref(v);
				continue;
			}
			(void)gql_complexity(schema, doc, root->name, op->sel,
					     v, NULL, 0);
			for (s = op->sel; s; s = s->next) {
				json_t *a = gql_arg_json(s, "data", v);

				json_decref(a);
			}
			json_decref(v);
		}
	}
	gql_doc_free(doc);
	/* the same bytes as a schema */
	memset(&errs, 0, sizeof(errs));
	gql_schema_free(gql_schema_load(text, qlen, &errs));
	json_decref(vars);
	return 0;
}
