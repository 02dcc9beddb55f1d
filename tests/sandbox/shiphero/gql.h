/*
 * gql.h - a small GraphQL reader for the ShipHero simulator.
 *
 * gql_parse.c reads executable documents (operations, variables with
 * types and defaults, fields, aliases, arguments, fragments and inline
 * fragments) and type-system documents (the SDL schema file: scalars,
 * types, interfaces, unions, enums, inputs, extend type).  gql_schema.c
 * builds a schema from an SDL document, validates an executable document
 * against it, coerces variable values and computes the credit complexity
 * of a selection.
 *
 * Robustness: every node lives in one arena per document, the input is
 * capped (GQL_MAX_SOURCE), names and strings have length caps, nesting is
 * bounded (GQL_MAX_DEPTH) everywhere the parser or validator recurses,
 * and the number of tokens is bounded.  Errors carry a line and column.
 */
#ifndef PEARLSYNC_SB_GQL_H
#define PEARLSYNC_SB_GQL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define GQL_MAX_SOURCE (4u * 1024u * 1024u)
#define GQL_MAX_DEPTH 48
#define GQL_MAX_NAME 256
#define GQL_MAX_TOKENS 200000
#define GQL_MAX_ERRORS 20

typedef struct gql_arena gql_arena;

enum gql_vkind {
	GQL_V_VAR = 1,
	GQL_V_INT,
	GQL_V_FLOAT,
	GQL_V_STRING,
	GQL_V_BOOL,
	GQL_V_NULL,
	GQL_V_ENUM,
	GQL_V_LIST,
	GQL_V_OBJECT
};

typedef struct gql_value {
	enum gql_vkind kind;
	const char *s;           /* variable name, literal text, string */
	const char *name;        /* member name inside an object value */
	struct gql_value *items; /* list items / object members */
	struct gql_value *next;
	int line, col;
} gql_value;

/* A type reference: a named type (name) or a list (of), maybe non-null. */
typedef struct gql_type {
	const char *name;
	struct gql_type *of;
	int nonnull;
} gql_type;

typedef struct gql_arg {
	const char *name;
	gql_value *value;
	struct gql_arg *next;
	int line, col;
} gql_arg;

enum gql_skind { GQL_S_FIELD = 1, GQL_S_SPREAD, GQL_S_INLINE };

typedef struct gql_sel {
	enum gql_skind kind;
	const char *alias;     /* NULL when none */
	const char *name;      /* field name or fragment name */
	const char *type_cond; /* inline fragment condition or NULL */
	gql_arg *args;
	struct gql_sel *sub; /* selection set or NULL */
	struct gql_sel *next;
	int line, col;
} gql_sel;

typedef struct gql_vardef {
	const char *name;
	gql_type *type;
	gql_value *def;
	struct gql_vardef *next;
	int line, col;
} gql_vardef;

typedef struct gql_op {
	const char *kind; /* "query", "mutation", "subscription" */
	const char *name; /* NULL when anonymous */
	gql_vardef *vars;
	gql_sel *sel;
	struct gql_op *next;
	int line, col;
} gql_op;

typedef struct gql_frag {
	const char *name, *type_cond;
	gql_sel *sel;
	struct gql_frag *next;
	int line, col;
} gql_frag;

/* Type-system definitions (SDL). */
enum gql_tkind {
	GQL_T_SCALAR = 1,
	GQL_T_OBJECT,
	GQL_T_INTERFACE,
	GQL_T_UNION,
	GQL_T_ENUM,
	GQL_T_INPUT
};

/* A field, an argument or an input field. */
typedef struct gql_fdef {
	const char *name;
	gql_type *type;
	gql_value *def;        /* default value or NULL */
	struct gql_fdef *args; /* arguments of an output field */
	struct gql_fdef *next;
} gql_fdef;

typedef struct gql_name {
	const char *name;
	struct gql_name *next;
} gql_name;

typedef struct gql_tdef {
	const char *name;
	enum gql_tkind kind;
	int extend;       /* "extend type" */
	gql_fdef *fields; /* object/interface fields, input fields */
	gql_name *values; /* enum values, union members, interfaces */
	struct gql_tdef *next;
} gql_tdef;

typedef struct gql_doc {
	gql_arena *arena;
	gql_op *ops;
	gql_frag *frags;
	gql_tdef *types;        /* SDL only */
	const char *query_root; /* SDL "schema { query: X }" */
	const char *mutation_root;
} gql_doc;

/* One error with a position (line/col 0 when unknown). */
typedef struct gql_error {
	char message[384];
	int line, col;
} gql_error;

typedef struct gql_errors {
	gql_error e[GQL_MAX_ERRORS];
	size_t n;
} gql_errors;

void gql_error_add(gql_errors *errs, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- gql_parse.c -------------------------------------------------------- */

/*
 * gql_parse - parse src[0..len) as an executable document (sdl == 0) or a
 * type-system document (sdl != 0).  Returns the document (free with
 * gql_doc_free) or NULL with one syntax error in *errs.
 */
gql_doc *gql_parse(const char *src, size_t len, int sdl, gql_errors *errs);
void gql_doc_free(gql_doc *doc);
/* Arena allocation (zeroed); NULL when out of memory. */
void *gql_alloc(gql_arena *a, size_t n);
/* A type reference as written: "[String!]!"; buf >= 128 bytes. */
const char *gql_type_str(const gql_type *t, char *buf, size_t len);
/* A value as written (for messages); buf >= 64 bytes. */
const char *gql_value_str(const gql_value *v, char *buf, size_t len);

/* ---- gql_schema.c ------------------------------------------------------- */

typedef struct gql_schema gql_schema;

/* Build a schema from SDL text; NULL with errs filled on failure. */
gql_schema *gql_schema_load(const char *sdl, size_t len, gql_errors *errs);
void gql_schema_free(gql_schema *s);
const gql_tdef *gql_schema_type(const gql_schema *s, const char *name);
const gql_tdef *gql_schema_root(const gql_schema *s, const char *op_kind);
const gql_fdef *gql_tdef_field(const gql_tdef *t, const char *name);
/* The named type under list and non-null wrappers. */
const char *gql_type_base(const gql_type *t);
size_t gql_schema_ntypes(const gql_schema *s);

/*
 * gql_select_op - the operation to run: the one named op_name, or the
 * only one.  NULL with an error otherwise.
 */
const gql_op *gql_select_op(const gql_doc *doc, const char *op_name,
			    gql_errors *errs);

/*
 * gql_validate - check doc against the schema: every operation's root
 * type exists, every field exists on its parent type, leaf fields have no
 * selection and composite fields have one, arguments exist, required
 * arguments are given, literal values fit their input types, variables
 * are declared with input types and used where their type fits,
 * fragments exist, fragment spreads do not cycle.  Returns the number of
 * errors added to errs (0 = valid).
 */
size_t gql_validate(const gql_schema *s, const gql_doc *doc, gql_errors *errs);

/*
 * gql_coerce_vars - check the JSON variables (object or NULL) against
 * op's declarations and build the effective values (defaults applied);
 * new reference or NULL with errors added.
 */
json_t *gql_coerce_vars(const gql_schema *s, const gql_op *op,
			const json_t *vars, gql_errors *errs);

/* An argument value as JSON (variables substituted); new reference, or
 * NULL when the argument is absent or null. */
json_t *gql_value_json(const gql_value *v, const json_t *vars);
/* Argument of sel named name as JSON (new reference) or NULL. */
json_t *gql_arg_json(const gql_sel *sel, const char *name, const json_t *vars);

/* Per-field extra costs (e.g. WarehouseProduct.available = 30). */
typedef struct gql_cost_rule {
	const char *type, *field;
	int64_t cost;
} gql_cost_rule;

/*
 * gql_complexity - the estimated credits of a selection on type parent:
 * a connection field (its type's name ends in "Connection") costs its
 * page size (first or last, default 100, capped at 100) times the cost of
 * one node (at least 1); object fields cost what they select; scalar
 * fields cost 0 unless a rule says otherwise.  Fragments are expanded.
 */
int64_t gql_complexity(const gql_schema *s, const gql_doc *doc,
		       const char *parent, const gql_sel *sel,
		       const json_t *vars, const gql_cost_rule *rules,
		       size_t nrules);

/* Find a fragment definition by name. */
const gql_frag *gql_fragment(const gql_doc *doc, const char *name);

#endif
