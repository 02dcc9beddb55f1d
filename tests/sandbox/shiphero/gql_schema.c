/*
 * gql_schema.c - the schema read from SDL, validation of executable
 * documents against it, variable coercion, argument values as JSON and
 * the complexity estimate used for ShipHero's credits.
 *
 * Messages follow graphql-core's (which ShipHero's server is built on)
 * as far as the simulator needs them; see the README for the list.
 */
#include "gql.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 1024u

struct gql_schema {
	gql_doc *doc;
	gql_tdef *buckets[NBUCKETS];
	size_t ntypes;
	const gql_tdef *query, *mutation;
};

/* Builtin scalars, added to every schema. */
static const char *const builtins[] = {"String", "Int", "Float", "Boolean",
				       "ID"};

static unsigned
hash(const char *s)
{
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % NBUCKETS;
}

/* The schema's own chain is separate from doc->types (which stays the
 * parse order); a second link field would cost a struct change, so the
 * buckets hold copies. */
typedef struct bucket_node {
	gql_tdef t;
	struct bucket_node *chain;
} bucket_node;

const gql_tdef *
gql_schema_type(const gql_schema *s, const char *name)
{
	const bucket_node *b;

	if (s == NULL || name == NULL)
		return NULL;
	for (b = (const bucket_node *)s->buckets[hash(name)]; b; b = b->chain)
		if (strcmp(b->t.name, name) == 0)
			return &b->t;
	return NULL;
}

static bucket_node *
add_type(gql_schema *s, const gql_tdef *t)
{
	bucket_node *b = gql_alloc(s->doc->arena, sizeof(*b));
	unsigned h = hash(t->name);

	if (b == NULL)
		return NULL;
	b->t = *t;
	b->t.next = NULL;
	b->t.extend = 0;
	b->chain = (bucket_node *)s->buckets[h];
	s->buckets[h] = &b->t;
	s->ntypes++;
	return b;
}

size_t
gql_schema_ntypes(const gql_schema *s)
{
	return s ? s->ntypes : 0;
}

void
gql_schema_free(gql_schema *s)
{
	if (s == NULL)
		return;
	gql_doc_free(s->doc);
	free(s);
}

const gql_fdef *
gql_tdef_field(const gql_tdef *t, const char *name)
{
	const gql_fdef *f;

	if (t == NULL)
		return NULL;
	for (f = t->fields; f; f = f->next)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

const char *
gql_type_base(const gql_type *t)
{
	int n = 0;

	while (t && t->of && n++ < GQL_MAX_DEPTH)
		t = t->of;
	return t ? t->name : NULL;
}

const gql_tdef *
gql_schema_root(const gql_schema *s, const char *op_kind)
{
	if (strcmp(op_kind, "query") == 0)
		return s->query;
	if (strcmp(op_kind, "mutation") == 0)
		return s->mutation;
	return NULL;
}

gql_schema *
gql_schema_load(const char *sdl, size_t len, gql_errors *errs)
{
	gql_schema *s = calloc(1, sizeof(*s));
	gql_tdef *t;
	size_t i;

	if (s == NULL)
		return NULL;
	s->doc = gql_parse(sdl, len, 1, errs);
	if (s->doc == NULL) {
		free(s);
		return NULL;
	}
	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		gql_tdef b = {0};

		b.name = builtins[i];
		b.kind = GQL_T_SCALAR;
		add_type(s, &b);
	}
	for (t = s->doc->types; t; t = t->next) {
		gql_tdef *have = (gql_tdef *)gql_schema_type(s, t->name);

		if (t->extend) {
			gql_fdef **tail;

			if (have == NULL) {
				gql_error_add(
					errs, 0, 0,
					"Cannot extend type \"%s\" because "
					"it is not defined.",
					t->name);
				continue;
			}
			/* append copies (the originals stay in t) */
			for (tail = &have->fields; *tail; tail = &(*tail)->next)
				;
			for (gql_fdef *f = t->fields; f; f = f->next) {
				gql_fdef *c =
					gql_alloc(s->doc->arena, sizeof(*c));

				if (c == NULL)
					break;
				*c = *f;
				c->next = NULL;
				*tail = c;
				tail = &c->next;
			}
			continue;
		}
		if (have != NULL) {
			gql_error_add(
				errs, 0, 0,
				"There can be only one type named \"%s\".",
				t->name);
			continue;
		}
		add_type(s, t);
	}
	s->query = gql_schema_type(s, s->doc->query_root ? s->doc->query_root
							 : "Query");
	s->mutation = gql_schema_type(
		s, s->doc->mutation_root ? s->doc->mutation_root : "Mutation");
	if (s->query == NULL)
		gql_error_add(errs, 0, 0, "Query root type must be provided.");
	if (errs && errs->n) {
		gql_schema_free(s);
		return NULL;
	}
	return s;
}

const gql_frag *
gql_fragment(const gql_doc *doc, const char *name)
{
	const gql_frag *f;

	for (f = doc->frags; f; f = f->next)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

const gql_op *
gql_select_op(const gql_doc *doc, const char *op_name, gql_errors *errs)
{
	const gql_op *op, *found = NULL;
	size_t n = 0;

	for (op = doc->ops; op; op = op->next) {
		n++;
		if (op_name && op->name && strcmp(op->name, op_name) == 0)
			found = op;
	}
	if (op_name && *op_name) {
		if (found == NULL)
			gql_error_add(errs, 0, 0,
				      "Unknown operation named '%s'.", op_name);
		return found;
	}
	if (n == 1)
		return doc->ops;
	gql_error_add(errs, 0, 0,
		      n == 0 ? "Must provide an operation."
			     : "Must provide operation name if query "
			       "contains multiple operations.");
	return NULL;
}

/* ---- validation --------------------------------------------------------- */

typedef struct vctx {
	const gql_schema *s;
	const gql_doc *doc;
	const gql_op *op; /* NULL while checking a fragment on its own */
	gql_errors *errs;
	size_t visits; /* selections walked, fragments expanded each time */
} vctx;

/* Selections the validator and the estimate walk at most (fragments are
 * expanded at each use, so fan-out could otherwise grow exponentially). */
#define GQL_MAX_VISITS 100000u

static int
is_input_kind(const gql_tdef *t)
{
	return t && (t->kind == GQL_T_SCALAR || t->kind == GQL_T_ENUM ||
		     t->kind == GQL_T_INPUT);
}

static int
is_leaf(const gql_tdef *t)
{
	return t && (t->kind == GQL_T_SCALAR || t->kind == GQL_T_ENUM);
}

static const gql_vardef *
find_var(const gql_op *op, const char *name)
{
	const gql_vardef *d;

	for (d = op ? op->vars : NULL; d; d = d->next)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

/*
 * May a variable of type vt be used where type want is expected?  A
 * nullable variable with a default may fill a non-null position.
 */
static int
type_fits(const gql_type *vt, const gql_type *want, int has_default, int depth)
{
	if (vt == NULL || want == NULL || depth > GQL_MAX_DEPTH)
		return 0;
	if (want->nonnull && !vt->nonnull && !has_default)
		return 0;
	if ((want->of == NULL) != (vt->of == NULL))
		return 0;
	if (want->of)
		return type_fits(vt->of, want->of, 0, depth + 1);
	return vt->name && want->name && strcmp(vt->name, want->name) == 0;
}

static int
scalar_literal_ok(const char *scalar, const gql_value *v)
{
	if (strcmp(scalar, "Int") == 0) {
		long long n;
		char *end;

		if (v->kind != GQL_V_INT)
			return 0;
		errno = 0;
		n = strtoll(v->s, &end, 10);
		return errno == 0 && n >= -2147483648LL && n <= 2147483647LL;
	}
	if (strcmp(scalar, "Float") == 0 || strcmp(scalar, "Decimal") == 0)
		return v->kind == GQL_V_INT || v->kind == GQL_V_FLOAT ||
		       (strcmp(scalar, "Decimal") == 0 &&
			v->kind == GQL_V_STRING);
	if (strcmp(scalar, "String") == 0)
		return v->kind == GQL_V_STRING;
	if (strcmp(scalar, "Boolean") == 0)
		return v->kind == GQL_V_BOOL;
	if (strcmp(scalar, "ID") == 0)
		return v->kind == GQL_V_STRING || v->kind == GQL_V_INT;
	if (strcmp(scalar, "ISODateTime") == 0 ||
	    strcmp(scalar, "DateTime") == 0 || strcmp(scalar, "Date") == 0)
		return v->kind == GQL_V_STRING;
	/* custom scalars (GenericScalar, JSONString, ...): anything */
	return 1;
}

static void check_value(vctx *c, const gql_value *v, const gql_type *want,
			int depth);

static void
bad_value(vctx *c, const gql_value *v, const gql_type *want)
{
	char tb[128], vb[96];

	gql_error_add(c->errs, v->line, v->col,
		      "Expected value of type \"%s\", found %s.",
		      gql_type_str(want, tb, sizeof(tb)),
		      gql_value_str(v, vb, sizeof(vb)));
}

static void
check_value(vctx *c, const gql_value *v, const gql_type *want, int depth)
{
	const gql_tdef *t;
	char tb[128];

	if (v == NULL || want == NULL)
		return;
	if (depth > GQL_MAX_DEPTH) {
		gql_error_add(c->errs, v->line, v->col,
			      "Value nested too deeply.");
		return;
	}
	if (v->kind == GQL_V_VAR) {
		const gql_vardef *d = find_var(c->op, v->s);

		if (d == NULL) {
			if (c->op == NULL)
				return; /* checked per operation */
			if (c->op->name)
				gql_error_add(c->errs, v->line, v->col,
					      "Variable \"$%s\" is not defined "
					      "by operation \"%s\".",
					      v->s, c->op->name);
			else
				gql_error_add(c->errs, v->line, v->col,
					      "Variable \"$%s\" is not "
					      "defined.",
					      v->s);
			return;
		}
		if (!type_fits(d->type, want, d->def != NULL, 0)) {
			char vb[128];

			gql_error_add(c->errs, v->line, v->col,
				      "Variable \"$%s\" of type \"%s\" used in "
				      "position expecting type \"%s\".",
				      v->s,
				      gql_type_str(d->type, vb, sizeof(vb)),
				      gql_type_str(want, tb, sizeof(tb)));
		}
		return;
	}
	if (v->kind == GQL_V_NULL) {
		if (want->nonnull)
			bad_value(c, v, want);
		return;
	}
	if (want->of) {
		const gql_value *it;

		if (v->kind != GQL_V_LIST) {
			/* input coercion: one item stands for a list */
			check_value(c, v, want->of, depth + 1);
			return;
		}
		for (it = v->items; it; it = it->next)
			check_value(c, it, want->of, depth + 1);
		return;
	}
	t = gql_schema_type(c->s, want->name);
	if (t == NULL)
		return;
	switch (t->kind) {
	case GQL_T_SCALAR:
		if (!scalar_literal_ok(t->name, v))
			bad_value(c, v, want);
		break;
	case GQL_T_ENUM: {
		const gql_name *n;

		if (v->kind != GQL_V_ENUM) {
			bad_value(c, v, want);
			break;
		}
		for (n = t->values; n; n = n->next)
			if (strcmp(n->name, v->s) == 0)
				break;
		if (n == NULL)
			gql_error_add(c->errs, v->line, v->col,
				      "Value \"%s\" does not exist in \"%s\" "
				      "enum.",
				      v->s, t->name);
		break;
	}
	case GQL_T_INPUT: {
		const gql_value *m;
		const gql_fdef *f;

		if (v->kind != GQL_V_OBJECT) {
			bad_value(c, v, want);
			break;
		}
		for (m = v->items; m; m = m->next) {
			f = gql_tdef_field(t, m->name);
			if (f == NULL)
				gql_error_add(c->errs, m->line, m->col,
					      "Field \"%s\" is not defined by "
					      "type \"%s\".",
					      m->name, t->name);
			else
				check_value(c, m, f->type, depth + 1);
		}
		for (f = t->fields; f; f = f->next) {
			if (!f->type->nonnull || f->def)
				continue;
			for (m = v->items; m; m = m->next)
				if (strcmp(m->name, f->name) == 0)
					break;
			if (m == NULL)
				gql_error_add(
					c->errs, v->line, v->col,
					"Field \"%s.%s\" of required type "
					"\"%s\" was not provided.",
					t->name, f->name,
					gql_type_str(f->type, tb, sizeof(tb)));
		}
		break;
	}
	default:
		bad_value(c, v, want);
		break;
	}
}

static void check_sel(vctx *c, const gql_tdef *parent, const gql_sel *sel,
		      int depth, const char **stack, int nstack);

static int
lists_name(const gql_tdef *t, const char *name)
{
	const gql_name *n;

	for (n = t->values; n; n = n->next)
		if (strcmp(n->name, name) == 0)
			return 1;
	return 0;
}

/* Can an object be of both types (a fragment's condition and where it is
 * spread)? */
static int
types_overlap(const gql_tdef *a, const gql_tdef *b)
{
	if (a == b || strcmp(a->name, b->name) == 0)
		return 1;
	if (a->kind == GQL_T_OBJECT && b->kind != GQL_T_OBJECT)
		return lists_name(b->kind == GQL_T_UNION ? b : a,
				  b->kind == GQL_T_UNION ? a->name : b->name);
	if (b->kind == GQL_T_OBJECT && a->kind != GQL_T_OBJECT)
		return lists_name(a->kind == GQL_T_UNION ? a : b,
				  a->kind == GQL_T_UNION ? b->name : a->name);
	/* two abstract types: allowed (not needed by the simulator) */
	return a->kind != GQL_T_OBJECT && b->kind != GQL_T_OBJECT;
}

static void
check_field(vctx *c, const gql_tdef *parent, const gql_sel *f, int depth,
	    const char **stack, int nstack)
{
	const gql_fdef *def;
	const gql_tdef *ft;
	const gql_arg *a;
	const gql_fdef *ad;
	char tb[128];

	if (strcmp(f->name, "__typename") == 0) {
		if (f->sub)
			gql_error_add(c->errs, f->line, f->col,
				      "Field \"__typename\" must not have a "
				      "selection since type \"String!\" has "
				      "no subfields.");
		return;
	}
	def = gql_tdef_field(parent, f->name);
	if (def == NULL) {
		gql_error_add(c->errs, f->line, f->col,
			      "Cannot query field \"%s\" on type \"%s\".",
			      f->name, parent->name);
		return;
	}
	for (a = f->args; a; a = a->next) {
		const gql_arg *b;

		for (ad = def->args; ad; ad = ad->next)
			if (strcmp(ad->name, a->name) == 0)
				break;
		if (ad == NULL) {
			gql_error_add(c->errs, a->line, a->col,
				      "Unknown argument \"%s\" on field "
				      "\"%s.%s\".",
				      a->name, parent->name, f->name);
			continue;
		}
		for (b = f->args; b != a; b = b->next)
			if (strcmp(b->name, a->name) == 0)
				gql_error_add(c->errs, a->line, a->col,
					      "There can be only one argument "
					      "named \"%s\".",
					      a->name);
		check_value(c, a->value, ad->type, 0);
	}
	for (ad = def->args; ad; ad = ad->next) {
		if (!ad->type->nonnull || ad->def)
			continue;
		for (a = f->args; a; a = a->next)
			if (strcmp(a->name, ad->name) == 0)
				break;
		if (a == NULL || (a->value && a->value->kind == GQL_V_NULL))
			gql_error_add(c->errs, f->line, f->col,
				      "Field \"%s\" argument \"%s\" of type "
				      "\"%s\" is required, but it was not "
				      "provided.",
				      f->name, ad->name,
				      gql_type_str(ad->type, tb, sizeof(tb)));
	}
	ft = gql_schema_type(c->s, gql_type_base(def->type));
	if (ft == NULL)
		return;
	if (is_leaf(ft)) {
		if (f->sub)
			gql_error_add(c->errs, f->line, f->col,
				      "Field \"%s\" must not have a selection "
				      "since type \"%s\" has no subfields.",
				      f->name,
				      gql_type_str(def->type, tb, sizeof(tb)));
		return;
	}
	if (f->sub == NULL) {
		gql_error_add(c->errs, f->line, f->col,
			      "Field \"%s\" of type \"%s\" must have a "
			      "selection of subfields. Did you mean \"%s { ... "
			      "}\"?",
			      f->name, gql_type_str(def->type, tb, sizeof(tb)),
			      f->name);
		return;
	}
	check_sel(c, ft, f->sub, depth + 1, stack, nstack);
}

static void
check_sel(vctx *c, const gql_tdef *parent, const gql_sel *sel, int depth,
	  const char **stack, int nstack)
{
	const gql_sel *s;

	if (depth > GQL_MAX_DEPTH) {
		gql_error_add(c->errs, sel ? sel->line : 0, sel ? sel->col : 0,
			      "Selection nested too deeply.");
		return;
	}
	for (s = sel; s && c->errs->n < GQL_MAX_ERRORS; s = s->next) {
		if (++c->visits > GQL_MAX_VISITS) {
			if (c->visits == GQL_MAX_VISITS + 1)
				gql_error_add(c->errs, s->line, s->col,
					      "Document too complex.");
			return;
		}
		if (s->kind == GQL_S_FIELD) {
			check_field(c, parent, s, depth, stack, nstack);
		} else if (s->kind == GQL_S_INLINE) {
			const gql_tdef *t = parent;

			if (s->type_cond) {
				t = gql_schema_type(c->s, s->type_cond);
				if (t == NULL) {
					gql_error_add(c->errs, s->line, s->col,
						      "Unknown type \"%s\".",
						      s->type_cond);
					continue;
				}
				if (!types_overlap(parent, t)) {
					gql_error_add(
						c->errs, s->line, s->col,
						"Fragment cannot be spread "
						"here as objects of type "
						"\"%s\" can never be of "
						"type \"%s\".",
						parent->name, t->name);
					continue;
				}
			}
			check_sel(c, t, s->sub, depth + 1, stack, nstack);
		} else {
			const gql_frag *fr = gql_fragment(c->doc, s->name);
			const gql_tdef *t;
			int i;

			if (fr == NULL) {
				gql_error_add(c->errs, s->line, s->col,
					      "Unknown fragment \"%s\".",
					      s->name);
				continue;
			}
			for (i = 0; i < nstack; i++)
				if (strcmp(stack[i], fr->name) == 0)
					break;
			if (i < nstack || nstack >= GQL_MAX_DEPTH) {
				gql_error_add(c->errs, s->line, s->col,
					      "Cannot spread fragment \"%s\" "
					      "within itself.",
					      fr->name);
				continue;
			}
			t = gql_schema_type(c->s, fr->type_cond);
			if (t == NULL) {
				gql_error_add(c->errs, fr->line, fr->col,
					      "Unknown type \"%s\".",
					      fr->type_cond);
				continue;
			}
			if (!types_overlap(parent, t)) {
				gql_error_add(
					c->errs, s->line, s->col,
					"Fragment \"%s\" cannot be spread "
					"here as objects of type \"%s\" "
					"can never be of type \"%s\".",
					fr->name, parent->name, t->name);
				continue;
			}
			stack[nstack] = fr->name;
			check_sel(c, t, fr->sel, depth + 1, stack, nstack + 1);
		}
	}
}

size_t
gql_validate(const gql_schema *s, const gql_doc *doc, gql_errors *errs)
{
	vctx c;
	const gql_op *op;
	const char *stack[GQL_MAX_DEPTH + 1];
	size_t before = errs->n;

	c.s = s;
	c.doc = doc;
	c.errs = errs;
	c.visits = 0;
	for (op = doc->ops; op; op = op->next) {
		const gql_op *o2;
		const gql_vardef *d;
		const gql_tdef *root = gql_schema_root(s, op->kind);

		for (o2 = doc->ops; o2 != op; o2 = o2->next)
			if (op->name && o2->name &&
			    strcmp(op->name, o2->name) == 0)
				gql_error_add(errs, op->line, op->col,
					      "There can be only one operation "
					      "named \"%s\".",
					      op->name);
		if (root == NULL) {
			gql_error_add(errs, op->line, op->col,
				      "Schema is not configured for %ss.",
				      op->kind);
			continue;
		}
		c.op = op;
		for (d = op->vars; d; d = d->next) {
			const gql_tdef *vt =
				gql_schema_type(s, gql_type_base(d->type));

			if (vt == NULL) {
				gql_error_add(errs, d->line, d->col,
					      "Unknown type \"%s\".",
					      gql_type_base(d->type));
			} else if (!is_input_kind(vt)) {
				char tb[128];

				gql_error_add(
					errs, d->line, d->col,
					"Variable \"$%s\" cannot be "
					"non-input type \"%s\".",
					d->name,
					gql_type_str(d->type, tb, sizeof(tb)));
			} else if (d->def) {
				vctx dc = c;

				dc.op = NULL;
				check_value(&dc, d->def, d->type, 0);
			}
		}
		check_sel(&c, root, op->sel, 0, stack, 0);
	}
	return errs->n - before;
}

/* ---- values as JSON ----------------------------------------------------- */

static json_t *
value_json(const gql_value *v, const json_t *vars, int depth)
{
	json_t *out;
	const gql_value *it;

	if (v == NULL || depth > GQL_MAX_DEPTH)
		return NULL;
	switch (v->kind) {
	case GQL_V_VAR: {
		json_t *x = json_object_get(vars, v->s);

		return x && !json_is_null(x) ? json_incref(x) : NULL;
	}
	case GQL_V_INT:
		return json_integer(strtoll(v->s, NULL, 10));
	case GQL_V_FLOAT:
		return json_real(strtod(v->s, NULL));
	case GQL_V_STRING:
	case GQL_V_ENUM:
		return json_string(v->s);
	case GQL_V_BOOL:
		return json_boolean(strcmp(v->s, "true") == 0);
	case GQL_V_NULL:
		return NULL;
	case GQL_V_LIST:
		out = json_array();
		for (it = v->items; it; it = it->next) {
			json_t *x = value_json(it, vars, depth + 1);

			json_array_append_new(out, x ? x : json_null());
		}
		return out;
	case GQL_V_OBJECT:
		out = json_object();
		for (it = v->items; it; it = it->next) {
			json_t *x = value_json(it, vars, depth + 1);

			if (x)
				json_object_set_new(out, it->name, x);
		}
		return out;
	}
	return NULL;
}

json_t *
gql_value_json(const gql_value *v, const json_t *vars)
{
	return value_json(v, vars, 0);
}

json_t *
gql_arg_json(const gql_sel *sel, const char *name, const json_t *vars)
{
	const gql_arg *a;

	for (a = sel->args; a; a = a->next)
		if (strcmp(a->name, name) == 0)
			return value_json(a->value, vars, 0);
	return NULL;
}

/* ---- variable coercion -------------------------------------------------- */

static int
coerce(const gql_schema *s, const json_t *v, const gql_type *t, char *path,
       size_t plen, char *why, size_t wlen, int depth)
{
	const gql_tdef *td;
	char tb[128];

	if (depth > GQL_MAX_DEPTH) {
		snprintf(why, wlen, "Value nested too deeply.");
		return -1;
	}
	if (v == NULL || json_is_null(v)) {
		if (t->nonnull) {
			snprintf(why, wlen,
				 "Expected non-nullable type \"%s\" "
				 "not to be null.",
				 gql_type_str(t, tb, sizeof(tb)));
			return -1;
		}
		return 0;
	}
	if (t->of) {
		size_t i, n = strlen(path);

		if (!json_is_array(v))
			return coerce(s, v, t->of, path, plen, why, wlen,
				      depth + 1);
		for (i = 0; i < json_array_size(v); i++) {
			snprintf(path + n, plen - n, "[%zu]", i);
			if (coerce(s, json_array_get(v, i), t->of, path, plen,
				   why, wlen, depth + 1))
				return -1;
		}
		path[n] = '\0';
		return 0;
	}
	td = gql_schema_type(s, t->name);
	if (td == NULL)
		return 0;
	if (td->kind == GQL_T_SCALAR) {
		const char *n = td->name;
		int ok = 1;

		if (strcmp(n, "Int") == 0)
			ok = json_is_integer(v) &&
			     json_integer_value(v) >= -2147483648LL &&
			     json_integer_value(v) <= 2147483647LL;
		else if (strcmp(n, "Float") == 0)
			ok = json_is_number(v);
		else if (strcmp(n, "String") == 0 ||
			 strcmp(n, "ISODateTime") == 0 ||
			 strcmp(n, "DateTime") == 0 || strcmp(n, "Date") == 0)
			ok = json_is_string(v);
		else if (strcmp(n, "Boolean") == 0)
			ok = json_is_boolean(v);
		else if (strcmp(n, "ID") == 0)
			ok = json_is_string(v) || json_is_integer(v);
		else if (strcmp(n, "Decimal") == 0)
			ok = json_is_number(v) || json_is_string(v);
		if (!ok) {
			char *dump =
				json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

			snprintf(why, wlen, "%s cannot represent value: %.60s",
				 n, dump ? dump : "?");
			free(dump);
			return -1;
		}
		return 0;
	}
	if (td->kind == GQL_T_ENUM) {
		const gql_name *e;

		for (e = td->values; e; e = e->next)
			if (json_is_string(v) &&
			    strcmp(e->name, json_string_value(v)) == 0)
				return 0;
		snprintf(why, wlen, "Value does not exist in \"%s\" enum.",
			 td->name);
		return -1;
	}
	if (td->kind == GQL_T_INPUT) {
		const char *k;
		const json_t *m;
		const gql_fdef *f;
		size_t n = strlen(path);

		if (!json_is_object(v)) {
			snprintf(why, wlen,
				 "Expected type \"%s\" to be an "
				 "object.",
				 td->name);
			return -1;
		}
		json_object_foreach ((json_t *)v, k, m) {
			f = gql_tdef_field(td, k);
			if (f == NULL) {
				snprintf(why, wlen,
					 "Field \"%.60s\" is not defined by "
					 "type "
					 "\"%s\".",
					 k, td->name);
				return -1;
			}
			snprintf(path + n, plen - n, ".%.60s", k);
			if (coerce(s, m, f->type, path, plen, why, wlen,
				   depth + 1))
				return -1;
			path[n] = '\0';
		}
		for (f = td->fields; f; f = f->next) {
			if (f->type->nonnull && f->def == NULL &&
			    json_object_get(v, f->name) == NULL) {
				snprintf(why, wlen,
					 "Field \"%s\" of required type \"%s\" "
					 "was not provided.",
					 f->name,
					 gql_type_str(f->type, tb, sizeof(tb)));
				return -1;
			}
		}
		return 0;
	}
	return 0;
}

json_t *
gql_coerce_vars(const gql_schema *s, const gql_op *op, const json_t *vars,
		gql_errors *errs)
{
	json_t *out = json_object();
	const gql_vardef *d;
	int bad = 0;

	for (d = op->vars; d; d = d->next) {
		const json_t *v = json_object_get(vars, d->name);
		char path[256] = "", why[256];
		char tb[128];

		if (v == NULL && d->def) {
			json_t *x = gql_value_json(d->def, NULL);

			if (x)
				json_object_set_new(out, d->name, x);
			continue;
		}
		if (v == NULL && d->type->nonnull) {
			gql_error_add(
				errs, d->line, d->col,
				"Variable \"$%s\" of required type \"%s\" "
				"was not provided.",
				d->name, gql_type_str(d->type, tb, sizeof(tb)));
			bad = 1;
			continue;
		}
		if (coerce(s, v, d->type, path, sizeof(path), why, sizeof(why),
			   0)) {
			if (path[0])
				gql_error_add(errs, d->line, d->col,
					      "Variable \"$%s\" got invalid "
					      "value at \"%s%s\"; %s",
					      d->name, d->name, path, why);
			else
				gql_error_add(errs, d->line, d->col,
					      "Variable \"$%s\" got invalid "
					      "value; %s",
					      d->name, why);
			bad = 1;
			continue;
		}
		if (v)
			json_object_set(out, d->name, (json_t *)v);
	}
	if (bad) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* ---- complexity --------------------------------------------------------- */

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

typedef struct cxctx {
	const gql_schema *s;
	const gql_doc *doc;
	const json_t *vars;
	const gql_cost_rule *rules;
	size_t nrules;
	size_t visits;
} cxctx;

static int64_t cx_sel(cxctx *c, const gql_tdef *parent, const gql_sel *sel,
		      int depth);

static int64_t
cap(int64_t v)
{
	return v > 1000000000LL ? 1000000000LL : v;
}

static int64_t
cx_field(cxctx *c, const gql_tdef *parent, const gql_sel *f, int depth)
{
	const gql_schema *s = c->s;
	const json_t *vars = c->vars;
	const gql_fdef *def = gql_tdef_field(parent, f->name);
	const gql_tdef *ft;
	int64_t cost = 0, inner;
	size_t i;

	if (def == NULL)
		return 0;
	for (i = 0; i < c->nrules; i++)
		if (strcmp(c->rules[i].type, parent->name) == 0 &&
		    strcmp(c->rules[i].field, f->name) == 0)
			cost += c->rules[i].cost;
	ft = gql_schema_type(s, gql_type_base(def->type));
	if (ft == NULL || f->sub == NULL)
		return cost;
	inner = cx_sel(c, ft, f->sub, depth + 1);
	if (ends_with(ft->name, "Connection")) {
		json_t *first = gql_arg_json(f, "first", vars);
		json_t *last = gql_arg_json(f, "last", vars);
		int64_t n = 100;

		if (json_is_integer(first))
			n = json_integer_value(first);
		else if (json_is_integer(last))
			n = json_integer_value(last);
		json_decref(first);
		json_decref(last);
		if (n > 100)
			n = 100;
		if (n < 0)
			n = 0;
		return cap(cost + n * (inner > 0 ? inner : 1));
	}
	return cap(cost + inner);
}

static int64_t
cx_sel(cxctx *c, const gql_tdef *parent, const gql_sel *sel, int depth)
{
	const gql_schema *s = c->s;
	const gql_sel *x;
	int64_t total = 0;

	if (depth > GQL_MAX_DEPTH)
		return 0;
	for (x = sel; x; x = x->next) {
		if (++c->visits > GQL_MAX_VISITS)
			return total;
		if (x->kind == GQL_S_FIELD) {
			total += cx_field(c, parent, x, depth);
		} else if (x->kind == GQL_S_INLINE) {
			const gql_tdef *t =
				x->type_cond ? gql_schema_type(s, x->type_cond)
					     : parent;

			if (t)
				total += cx_sel(c, t, x->sub, depth + 1);
		} else {
			const gql_frag *fr = gql_fragment(c->doc, x->name);
			const gql_tdef *t =
				fr ? gql_schema_type(s, fr->type_cond) : NULL;

			if (t)
				total += cx_sel(c, t, fr->sel, depth + 1);
		}
		total = cap(total);
	}
	return total;
}

int64_t
gql_complexity(const gql_schema *s, const gql_doc *doc, const char *parent,
	       const gql_sel *sel, const json_t *vars,
	       const gql_cost_rule *rules, size_t nrules)
{
	const gql_tdef *t = gql_schema_type(s, parent);
	cxctx c = {s, doc, vars, rules, nrules, 0};

	if (t == NULL)
		return 0;
	return cx_sel(&c, t, sel, 0);
}
