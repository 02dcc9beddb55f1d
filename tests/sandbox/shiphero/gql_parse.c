/*
 * gql_parse.c - lexer and recursive-descent parser for GraphQL documents
 * (executable and SDL), with an arena per document.
 *
 * Recursion (selection sets, values, type references) is bounded by
 * GQL_MAX_DEPTH; the token count by GQL_MAX_TOKENS; names by
 * GQL_MAX_NAME.  The first syntax error stops the parse, as graphql-core
 * does, with a "Syntax Error: ..." message and its position.
 */
#include "gql.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena -------------------------------------------------------------- */

struct gql_arena {
	struct gql_chunk *chunks;
};

struct gql_chunk {
	struct gql_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

#define CHUNK_SIZE (32u * 1024u)

void *
gql_alloc(gql_arena *a, size_t n)
{
	struct gql_chunk *c = a->chunks;
	size_t align = sizeof(max_align_t);
	char *p;

	n = (n + align - 1) / align * align;
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > CHUNK_SIZE ? n : CHUNK_SIZE;

		c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->cap = cap;
		c->used = 0;
		c->next = a->chunks;
		a->chunks = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

static void
arena_free(gql_arena *a)
{
	struct gql_chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void
gql_doc_free(gql_doc *doc)
{
	if (doc == NULL)
		return;
	arena_free(doc->arena);
}

void
gql_error_add(gql_errors *errs, int line, int col, const char *fmt, ...)
{
	va_list ap;
	gql_error *e;

	if (errs == NULL || errs->n >= GQL_MAX_ERRORS)
		return;
	e = &errs->e[errs->n++];
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	e->line = line;
	e->col = col;
}

/* ---- lexer -------------------------------------------------------------- */

enum tok {
	T_EOF = 0,
	T_PUNCT, /* ! $ & ( ) ... : = @ [ ] { | } */
	T_NAME,
	T_INT,
	T_FLOAT,
	T_STRING,
	T_ERROR
};

typedef struct parser {
	const char *src, *end, *p;
	int line;
	const char *line_start;
	/* current token */
	enum tok t;
	const char *ts; /* start in src */
	size_t tl;      /* length in src */
	char punct;     /* for T_PUNCT ('.' for "...") */
	char *sval;     /* decoded string (arena) for T_STRING */
	int tline, tcol;
	size_t ntokens;
	int depth;
	gql_arena *arena;
	gql_errors *errs;
	int failed;
} parser;

static void syntax(parser *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
syntax(parser *ps, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gql_error_add(ps->errs, ps->tline, ps->tcol, "Syntax Error: %s", msg);
}

static char *
adup(parser *ps, const char *s, size_t n)
{
	char *d = gql_alloc(ps->arena, n + 1);

	if (d == NULL) {
		syntax(ps, "out of memory");
		return NULL;
	}
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static int
is_name_start(int c)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static void
skip_ignored(parser *ps)
{
	while (ps->p < ps->end) {
		unsigned char c = (unsigned char)*ps->p;

		if (c == '\n') {
			ps->p++;
			ps->line++;
			ps->line_start = ps->p;
		} else if (c == '\r') {
			ps->p++;
			if (ps->p < ps->end && *ps->p == '\n')
				ps->p++;
			ps->line++;
			ps->line_start = ps->p;
		} else if (c == ' ' || c == '\t' || c == ',') {
			ps->p++;
		} else if (c == 0xEF && ps->end - ps->p >= 3 &&
			   (unsigned char)ps->p[1] == 0xBB &&
			   (unsigned char)ps->p[2] == 0xBF) {
			ps->p += 3; /* BOM */
		} else if (c == '#') {
			while (ps->p < ps->end && *ps->p != '\n' &&
			       *ps->p != '\r')
				ps->p++;
		} else {
			break;
		}
	}
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t
utf8_put(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* A "..." string (the opening quote at ps->p); block strings """...""". */
static void
lex_string(parser *ps)
{
	const char *p = ps->p;
	char *out;
	size_t n = 0;

	if (ps->end - p >= 3 && p[1] == '"' && p[2] == '"') {
		/* block string: raw up to the closing """ (\""" escapes) */
		const char *s = p + 3;

		out = gql_alloc(ps->arena, (size_t)(ps->end - s) + 1);
		if (out == NULL) {
			syntax(ps, "out of memory");
			return;
		}
		while (s < ps->end) {
			if (ps->end - s >= 3 && s[0] == '"' && s[1] == '"' &&
			    s[2] == '"') {
				out[n] = '\0';
				ps->sval = out;
				ps->p = s + 3;
				ps->t = T_STRING;
				return;
			}
			if (ps->end - s >= 4 && s[0] == '\\' && s[1] == '"' &&
			    s[2] == '"' && s[3] == '"') {
				memcpy(out + n, "\"\"\"", 3);
				n += 3;
				s += 4;
				continue;
			}
			if (*s == '\n') {
				ps->line++;
				ps->line_start = s + 1;
			}
			out[n++] = *s++;
		}
		syntax(ps, "Unterminated string.");
		return;
	}
	p++;
	out = gql_alloc(ps->arena, (size_t)(ps->end - p) + 1);
	if (out == NULL) {
		syntax(ps, "out of memory");
		return;
	}
	while (p < ps->end) {
		unsigned char c = (unsigned char)*p;

		if (c == '"') {
			out[n] = '\0';
			ps->sval = out;
			ps->p = p + 1;
			ps->t = T_STRING;
			return;
		}
		if (c == '\n' || c == '\r')
			break;
		if (c < 0x20 && c != '\t') {
			syntax(ps, "Invalid character within String.");
			return;
		}
		if (c != '\\') {
			out[n++] = (char)c;
			p++;
			continue;
		}
		if (p + 1 >= ps->end)
			break;
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
			out[n++] = p[1];
			p += 2;
			break;
		case 'b':
			out[n++] = '\b';
			p += 2;
			break;
		case 'f':
			out[n++] = '\f';
			p += 2;
			break;
		case 'n':
			out[n++] = '\n';
			p += 2;
			break;
		case 'r':
			out[n++] = '\r';
			p += 2;
			break;
		case 't':
			out[n++] = '\t';
			p += 2;
			break;
		case 'u': {
			unsigned long cp = 0;
			int i;

			if (ps->end - p < 6) {
				syntax(ps, "Invalid Unicode escape sequence.");
				return;
			}
			for (i = 0; i < 4; i++) {
				int h = hexval((unsigned char)p[2 + i]);

				if (h < 0) {
					syntax(ps, "Invalid Unicode escape "
						   "sequence.");
					return;
				}
				cp = cp * 16 + (unsigned long)h;
			}
			/* surrogates are kept as U+FFFD */
			if (cp >= 0xD800 && cp <= 0xDFFF)
				cp = 0xFFFD;
			if (cp == 0)
				cp = 0xFFFD; /* no NUL inside C strings */
			n += utf8_put(out + n, cp);
			p += 6;
			break;
		}
		default:
			syntax(ps, "Invalid character escape sequence.");
			return;
		}
	}
	syntax(ps, "Unterminated string.");
}

static void
lex_number(parser *ps)
{
	const char *p = ps->p;
	int is_float = 0;

	if (*p == '-')
		p++;
	if (p < ps->end && *p == '0') {
		p++;
		if (p < ps->end && is_digit((unsigned char)*p)) {
			syntax(ps, "Invalid number, unexpected digit after 0.");
			return;
		}
	} else {
		if (p >= ps->end || !is_digit((unsigned char)*p)) {
			syntax(ps, "Invalid number, expected digit.");
			return;
		}
		while (p < ps->end && is_digit((unsigned char)*p))
			p++;
	}
	if (p < ps->end && *p == '.') {
		is_float = 1;
		p++;
		if (p >= ps->end || !is_digit((unsigned char)*p)) {
			syntax(ps, "Invalid number, expected digit.");
			return;
		}
		while (p < ps->end && is_digit((unsigned char)*p))
			p++;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		is_float = 1;
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= ps->end || !is_digit((unsigned char)*p)) {
			syntax(ps, "Invalid number, expected digit.");
			return;
		}
		while (p < ps->end && is_digit((unsigned char)*p))
			p++;
	}
	if (p < ps->end && (is_name_start((unsigned char)*p) || *p == '.')) {
		syntax(ps, "Invalid number, expected digit.");
		return;
	}
	if (p - ps->p > 64) {
		syntax(ps, "Number too long.");
		return;
	}
	ps->t = is_float ? T_FLOAT : T_INT;
	ps->p = p;
}

static void
next(parser *ps)
{
	unsigned char c;

	if (ps->failed) {
		ps->t = T_ERROR;
		return;
	}
	skip_ignored(ps);
	ps->ts = ps->p;
	ps->tline = ps->line;
	ps->tcol = (int)(ps->p - ps->line_start) + 1;
	if (++ps->ntokens > GQL_MAX_TOKENS) {
		syntax(ps, "Document too large.");
		ps->t = T_ERROR;
		return;
	}
	if (ps->p >= ps->end) {
		ps->t = T_EOF;
		ps->tl = 0;
		return;
	}
	c = (unsigned char)*ps->p;
	if (strchr("!$&()/:=@[]{|}", c) != NULL && c != '/') {
		ps->t = T_PUNCT;
		ps->punct = (char)c;
		ps->p++;
	} else if (c == '.') {
		if (ps->end - ps->p >= 3 && ps->p[1] == '.' &&
		    ps->p[2] == '.') {
			ps->t = T_PUNCT;
			ps->punct = '.';
			ps->p += 3;
		} else {
			syntax(ps, "Unexpected character: \".\".");
			ps->t = T_ERROR;
			return;
		}
	} else if (is_name_start(c)) {
		const char *p = ps->p;

		while (p < ps->end && (is_name_start((unsigned char)*p) ||
				       is_digit((unsigned char)*p)))
			p++;
		if (p - ps->p > GQL_MAX_NAME) {
			syntax(ps, "Name too long.");
			ps->t = T_ERROR;
			return;
		}
		ps->t = T_NAME;
		ps->p = p;
	} else if (c == '-' || is_digit(c)) {
		lex_number(ps);
	} else if (c == '"') {
		lex_string(ps);
	} else {
		if (c >= 0x20 && c < 0x7F)
			syntax(ps, "Unexpected character: \"%c\".", c);
		else
			syntax(ps, "Unexpected character: U+%04X.", c);
	}
	if (ps->failed)
		ps->t = T_ERROR;
	ps->tl = (size_t)(ps->p - ps->ts);
}

/* ---- parser helpers ----------------------------------------------------- */

static const char *
tok_desc(parser *ps, char *buf, size_t len)
{
	switch (ps->t) {
	case T_EOF:
		return "<EOF>";
	case T_PUNCT:
		snprintf(buf, len, "\"%s\"",
			 ps->punct == '.' ? "..." : (char[]){ps->punct, 0});
		return buf;
	case T_NAME:
		snprintf(buf, len, "Name \"%.*s\"",
			 (int)(ps->tl > 60 ? 60 : ps->tl), ps->ts);
		return buf;
	case T_INT:
		snprintf(buf, len, "Int \"%.*s\"", (int)ps->tl, ps->ts);
		return buf;
	case T_FLOAT:
		snprintf(buf, len, "Float \"%.*s\"", (int)ps->tl, ps->ts);
		return buf;
	case T_STRING:
		return "String";
	default:
		return "error";
	}
}

static void
unexpected(parser *ps, const char *expected)
{
	char buf[96];

	if (expected)
		syntax(ps, "Expected %s, found %s.", expected,
		       tok_desc(ps, buf, sizeof(buf)));
	else
		syntax(ps, "Unexpected %s.", tok_desc(ps, buf, sizeof(buf)));
}

static int
is_punct(parser *ps, char c)
{
	return ps->t == T_PUNCT && ps->punct == c;
}

static int
expect_punct(parser *ps, char c)
{
	if (is_punct(ps, c)) {
		next(ps);
		return 0;
	}
	{
		char want[8];

		snprintf(want, sizeof(want), "\"%s\"",
			 c == '.' ? "..." : (char[]){c, 0});
		unexpected(ps, want);
	}
	return -1;
}

static int
is_keyword(parser *ps, const char *kw)
{
	return ps->t == T_NAME && strlen(kw) == ps->tl &&
	       memcmp(ps->ts, kw, ps->tl) == 0;
}

static const char *
name(parser *ps)
{
	const char *n;

	if (ps->t != T_NAME) {
		unexpected(ps, "Name");
		return NULL;
	}
	n = adup(ps, ps->ts, ps->tl);
	next(ps);
	return n;
}

static int
enter(parser *ps)
{
	if (++ps->depth > GQL_MAX_DEPTH) {
		syntax(ps, "Document nested too deeply (more than %d levels).",
		       GQL_MAX_DEPTH);
		return -1;
	}
	return 0;
}

static void
leave(parser *ps)
{
	ps->depth--;
}

/* ---- values and types --------------------------------------------------- */

static gql_value *
value(parser *ps, int is_const)
{
	gql_value *v, **tail;

	if (ps->failed || enter(ps))
		return NULL;
	v = gql_alloc(ps->arena, sizeof(*v));
	if (v == NULL) {
		syntax(ps, "out of memory");
		leave(ps);
		return NULL;
	}
	v->line = ps->tline;
	v->col = ps->tcol;
	switch (ps->t) {
	case T_PUNCT:
		if (ps->punct == '$' && !is_const) {
			next(ps);
			v->kind = GQL_V_VAR;
			v->s = name(ps);
		} else if (ps->punct == '[') {
			v->kind = GQL_V_LIST;
			next(ps);
			tail = &v->items;
			while (!ps->failed && !is_punct(ps, ']')) {
				if (ps->t == T_EOF) {
					unexpected(ps, "\"]\"");
					break;
				}
				*tail = value(ps, is_const);
				if (*tail)
					tail = &(*tail)->next;
			}
			next(ps);
		} else if (ps->punct == '{') {
			v->kind = GQL_V_OBJECT;
			next(ps);
			tail = &v->items;
			while (!ps->failed && !is_punct(ps, '}')) {
				const char *n = name(ps);

				if (n == NULL || expect_punct(ps, ':'))
					break;
				*tail = value(ps, is_const);
				if (*tail) {
					(*tail)->name = n;
					tail = &(*tail)->next;
				}
			}
			next(ps);
		} else {
			unexpected(ps, NULL);
		}
		break;
	case T_INT:
	case T_FLOAT:
		v->kind = ps->t == T_INT ? GQL_V_INT : GQL_V_FLOAT;
		v->s = adup(ps, ps->ts, ps->tl);
		next(ps);
		break;
	case T_STRING:
		v->kind = GQL_V_STRING;
		v->s = ps->sval;
		next(ps);
		break;
	case T_NAME:
		if (is_keyword(ps, "true") || is_keyword(ps, "false"))
			v->kind = GQL_V_BOOL;
		else if (is_keyword(ps, "null"))
			v->kind = GQL_V_NULL;
		else
			v->kind = GQL_V_ENUM;
		v->s = adup(ps, ps->ts, ps->tl);
		next(ps);
		break;
	default:
		unexpected(ps, NULL);
		break;
	}
	leave(ps);
	return ps->failed ? NULL : v;
}

static gql_type *
type_ref(parser *ps)
{
	gql_type *t;

	if (ps->failed || enter(ps))
		return NULL;
	t = gql_alloc(ps->arena, sizeof(*t));
	if (t == NULL) {
		syntax(ps, "out of memory");
		leave(ps);
		return NULL;
	}
	if (is_punct(ps, '[')) {
		next(ps);
		t->of = type_ref(ps);
		if (!ps->failed)
			expect_punct(ps, ']');
	} else {
		t->name = name(ps);
	}
	if (!ps->failed && is_punct(ps, '!')) {
		t->nonnull = 1;
		next(ps);
	}
	leave(ps);
	return ps->failed ? NULL : t;
}

/* Directives are read and dropped: @name(args). */
static void
skip_directives(parser *ps)
{
	while (!ps->failed && is_punct(ps, '@')) {
		next(ps);
		(void)name(ps);
		if (is_punct(ps, '(')) {
			next(ps);
			while (!ps->failed && !is_punct(ps, ')')) {
				if (name(ps) == NULL || expect_punct(ps, ':'))
					break;
				(void)value(ps, 0);
			}
			next(ps);
		}
	}
}

static gql_arg *
arguments(parser *ps)
{
	gql_arg *head = NULL, **tail = &head;

	if (!is_punct(ps, '('))
		return NULL;
	next(ps);
	if (is_punct(ps, ')')) {
		unexpected(ps, "Name");
		return NULL;
	}
	while (!ps->failed && !is_punct(ps, ')')) {
		gql_arg *a = gql_alloc(ps->arena, sizeof(*a));

		if (a == NULL) {
			syntax(ps, "out of memory");
			return NULL;
		}
		a->line = ps->tline;
		a->col = ps->tcol;
		a->name = name(ps);
		if (a->name == NULL || expect_punct(ps, ':'))
			return NULL;
		a->value = value(ps, 0);
		*tail = a;
		tail = &a->next;
	}
	next(ps);
	return head;
}

/* ---- executable definitions --------------------------------------------- */

static gql_sel *selection_set(parser *ps);

static gql_sel *
selection(parser *ps)
{
	gql_sel *s = gql_alloc(ps->arena, sizeof(*s));

	if (s == NULL) {
		syntax(ps, "out of memory");
		return NULL;
	}
	s->line = ps->tline;
	s->col = ps->tcol;
	if (is_punct(ps, '.')) {
		next(ps);
		if (ps->t == T_NAME && !is_keyword(ps, "on")) {
			s->kind = GQL_S_SPREAD;
			s->name = name(ps);
			skip_directives(ps);
			return s;
		}
		s->kind = GQL_S_INLINE;
		if (is_keyword(ps, "on")) {
			next(ps);
			s->type_cond = name(ps);
		}
		skip_directives(ps);
		s->sub = selection_set(ps);
		if (s->sub == NULL && !ps->failed)
			unexpected(ps, "\"{\"");
		return s;
	}
	s->kind = GQL_S_FIELD;
	s->name = name(ps);
	if (s->name && is_punct(ps, ':')) {
		next(ps);
		s->alias = s->name;
		s->name = name(ps);
	}
	s->args = arguments(ps);
	skip_directives(ps);
	if (is_punct(ps, '{'))
		s->sub = selection_set(ps);
	return s;
}

static gql_sel *
selection_set(parser *ps)
{
	gql_sel *head = NULL, **tail = &head;

	if (ps->failed)
		return NULL;
	if (!is_punct(ps, '{')) {
		unexpected(ps, "\"{\"");
		return NULL;
	}
	if (enter(ps))
		return NULL;
	next(ps);
	if (is_punct(ps, '}'))
		unexpected(ps, "Name");
	while (!ps->failed && !is_punct(ps, '}')) {
		gql_sel *s;

		if (ps->t == T_EOF) {
			unexpected(ps, "Name");
			break;
		}
		s = selection(ps);
		if (s == NULL)
			break;
		*tail = s;
		tail = &s->next;
	}
	leave(ps);
	if (ps->failed)
		return NULL;
	next(ps);
	return head;
}

static gql_vardef *
var_defs(parser *ps)
{
	gql_vardef *head = NULL, **tail = &head;

	if (!is_punct(ps, '('))
		return NULL;
	next(ps);
	while (!ps->failed && !is_punct(ps, ')')) {
		gql_vardef *d = gql_alloc(ps->arena, sizeof(*d));

		if (d == NULL) {
			syntax(ps, "out of memory");
			return NULL;
		}
		d->line = ps->tline;
		d->col = ps->tcol;
		if (expect_punct(ps, '$'))
			return NULL;
		d->name = name(ps);
		if (d->name == NULL || expect_punct(ps, ':'))
			return NULL;
		d->type = type_ref(ps);
		if (!ps->failed && is_punct(ps, '=')) {
			next(ps);
			d->def = value(ps, 1);
		}
		skip_directives(ps);
		*tail = d;
		tail = &d->next;
	}
	next(ps);
	return head;
}

static void
executable_def(parser *ps, gql_doc *doc, gql_op ***optail, gql_frag ***fragtail)
{
	int line = ps->tline, col = ps->tcol;

	if (is_punct(ps, '{')) {
		gql_op *op = gql_alloc(ps->arena, sizeof(*op));

		if (op == NULL) {
			syntax(ps, "out of memory");
			return;
		}
		op->kind = "query";
		op->line = line;
		op->col = col;
		op->sel = selection_set(ps);
		**optail = op;
		*optail = &op->next;
		return;
	}
	if (is_keyword(ps, "query") || is_keyword(ps, "mutation") ||
	    is_keyword(ps, "subscription")) {
		gql_op *op = gql_alloc(ps->arena, sizeof(*op));

		if (op == NULL) {
			syntax(ps, "out of memory");
			return;
		}
		op->kind = is_keyword(ps, "query")      ? "query"
			   : is_keyword(ps, "mutation") ? "mutation"
							: "subscription";
		op->line = line;
		op->col = col;
		next(ps);
		if (ps->t == T_NAME)
			op->name = name(ps);
		op->vars = var_defs(ps);
		skip_directives(ps);
		op->sel = selection_set(ps);
		**optail = op;
		*optail = &op->next;
		return;
	}
	if (is_keyword(ps, "fragment")) {
		gql_frag *f = gql_alloc(ps->arena, sizeof(*f));

		if (f == NULL) {
			syntax(ps, "out of memory");
			return;
		}
		f->line = line;
		f->col = col;
		next(ps);
		if (is_keyword(ps, "on")) {
			unexpected(ps, NULL);
			return;
		}
		f->name = name(ps);
		if (!is_keyword(ps, "on")) {
			unexpected(ps, "\"on\"");
			return;
		}
		next(ps);
		f->type_cond = name(ps);
		skip_directives(ps);
		f->sel = selection_set(ps);
		**fragtail = f;
		*fragtail = &f->next;
		(void)doc;
		return;
	}
	unexpected(ps, NULL);
}

/* ---- type-system definitions -------------------------------------------- */

static gql_fdef *
input_values(parser *ps, char close)
{
	gql_fdef *head = NULL, **tail = &head;

	while (!ps->failed && !is_punct(ps, close)) {
		gql_fdef *f = gql_alloc(ps->arena, sizeof(*f));

		if (f == NULL) {
			syntax(ps, "out of memory");
			return NULL;
		}
		if (ps->t == T_STRING)
			next(ps); /* description */
		f->name = name(ps);
		if (f->name == NULL || expect_punct(ps, ':'))
			return NULL;
		f->type = type_ref(ps);
		if (!ps->failed && is_punct(ps, '=')) {
			next(ps);
			f->def = value(ps, 1);
		}
		skip_directives(ps);
		*tail = f;
		tail = &f->next;
	}
	next(ps);
	return head;
}

static gql_fdef *
field_defs(parser *ps)
{
	gql_fdef *head = NULL, **tail = &head;

	if (!is_punct(ps, '{'))
		return NULL;
	next(ps);
	while (!ps->failed && !is_punct(ps, '}')) {
		gql_fdef *f = gql_alloc(ps->arena, sizeof(*f));

		if (f == NULL) {
			syntax(ps, "out of memory");
			return NULL;
		}
		if (ps->t == T_STRING)
			next(ps);
		f->name = name(ps);
		if (f->name == NULL)
			return NULL;
		if (is_punct(ps, '(')) {
			next(ps);
			f->args = input_values(ps, ')');
		}
		if (expect_punct(ps, ':'))
			return NULL;
		f->type = type_ref(ps);
		skip_directives(ps);
		*tail = f;
		tail = &f->next;
	}
	next(ps);
	return head;
}

static gql_name *
name_list(parser *ps, char sep)
{
	gql_name *head = NULL, **tail = &head;

	if (is_punct(ps, sep))
		next(ps);
	while (!ps->failed && ps->t == T_NAME) {
		gql_name *n = gql_alloc(ps->arena, sizeof(*n));

		if (n == NULL) {
			syntax(ps, "out of memory");
			return NULL;
		}
		n->name = name(ps);
		*tail = n;
		tail = &n->next;
		if (!is_punct(ps, sep))
			break;
		next(ps);
	}
	return head;
}

static void
type_system_def(parser *ps, gql_doc *doc, gql_tdef ***tail)
{
	gql_tdef *t;
	int extend = 0;

	if (ps->t == T_STRING)
		next(ps); /* description */
	if (is_keyword(ps, "schema")) {
		next(ps);
		skip_directives(ps);
		if (expect_punct(ps, '{'))
			return;
		while (!ps->failed && !is_punct(ps, '}')) {
			int q = is_keyword(ps, "query"),
			    m = is_keyword(ps, "mutation");
			const char *n;

			next(ps);
			if (expect_punct(ps, ':'))
				return;
			n = name(ps);
			if (q)
				doc->query_root = n;
			else if (m)
				doc->mutation_root = n;
		}
		next(ps);
		return;
	}
	if (is_keyword(ps, "directive")) {
		/* directive @name(args) on A | B */
		next(ps);
		expect_punct(ps, '@');
		(void)name(ps);
		if (is_punct(ps, '(')) {
			next(ps);
			(void)input_values(ps, ')');
		}
		if (is_keyword(ps, "repeatable"))
			next(ps);
		if (!is_keyword(ps, "on")) {
			unexpected(ps, "\"on\"");
			return;
		}
		next(ps);
		(void)name_list(ps, '|');
		return;
	}
	if (is_keyword(ps, "extend")) {
		extend = 1;
		next(ps);
	}
	t = gql_alloc(ps->arena, sizeof(*t));
	if (t == NULL) {
		syntax(ps, "out of memory");
		return;
	}
	t->extend = extend;
	if (is_keyword(ps, "scalar")) {
		t->kind = GQL_T_SCALAR;
		next(ps);
		t->name = name(ps);
		skip_directives(ps);
	} else if (is_keyword(ps, "type") || is_keyword(ps, "interface")) {
		t->kind =
			is_keyword(ps, "type") ? GQL_T_OBJECT : GQL_T_INTERFACE;
		next(ps);
		t->name = name(ps);
		if (is_keyword(ps, "implements")) {
			next(ps);
			t->values = name_list(ps, '&');
		}
		skip_directives(ps);
		t->fields = field_defs(ps);
	} else if (is_keyword(ps, "union")) {
		t->kind = GQL_T_UNION;
		next(ps);
		t->name = name(ps);
		skip_directives(ps);
		if (expect_punct(ps, '='))
			return;
		t->values = name_list(ps, '|');
	} else if (is_keyword(ps, "enum")) {
		t->kind = GQL_T_ENUM;
		next(ps);
		t->name = name(ps);
		skip_directives(ps);
		if (expect_punct(ps, '{'))
			return;
		{
			gql_name **nt = &t->values;

			while (!ps->failed && !is_punct(ps, '}')) {
				gql_name *n = gql_alloc(ps->arena, sizeof(*n));

				if (n == NULL) {
					syntax(ps, "out of memory");
					return;
				}
				if (ps->t == T_STRING)
					next(ps);
				n->name = name(ps);
				skip_directives(ps);
				*nt = n;
				nt = &n->next;
			}
			next(ps);
		}
	} else if (is_keyword(ps, "input")) {
		t->kind = GQL_T_INPUT;
		next(ps);
		t->name = name(ps);
		skip_directives(ps);
		if (is_punct(ps, '{')) {
			next(ps);
			t->fields = input_values(ps, '}');
		}
	} else {
		unexpected(ps, NULL);
		return;
	}
	if (ps->failed)
		return;
	**tail = t;
	*tail = &t->next;
}

gql_doc *
gql_parse(const char *src, size_t len, int sdl, gql_errors *errs)
{
	parser ps;
	gql_doc *doc;
	gql_arena *arena;
	gql_op **optail;
	gql_frag **fragtail;
	gql_tdef **ttail;

	if (src == NULL || len > GQL_MAX_SOURCE) {
		gql_error_add(errs, 0, 0, "Syntax Error: Document too large.");
		return NULL;
	}
	arena = calloc(1, sizeof(*arena));
	if (arena == NULL)
		return NULL;
	doc = gql_alloc(arena, sizeof(*doc));
	if (doc == NULL) {
		arena_free(arena);
		return NULL;
	}
	doc->arena = arena;
	memset(&ps, 0, sizeof(ps));
	ps.src = ps.p = ps.line_start = src;
	ps.end = src + len;
	ps.line = 1;
	ps.arena = arena;
	ps.errs = errs;
	optail = &doc->ops;
	fragtail = &doc->frags;
	ttail = &doc->types;
	next(&ps);
	if (ps.t == T_EOF)
		unexpected(&ps, sdl ? "Definition" : "\"{\"");
	while (!ps.failed && ps.t != T_EOF) {
		if (sdl)
			type_system_def(&ps, doc, &ttail);
		else
			executable_def(&ps, doc, &optail, &fragtail);
	}
	if (ps.failed) {
		arena_free(arena);
		return NULL;
	}
	return doc;
}

/* ---- printing ----------------------------------------------------------- */

const char *
gql_type_str(const gql_type *t, char *buf, size_t len)
{
	char inner[128];

	if (t == NULL) {
		snprintf(buf, len, "?");
		return buf;
	}
	if (t->of) {
		int n;

		gql_type_str(t->of, inner, sizeof(inner));
		n = snprintf(buf, len, "[%s]%s", inner, t->nonnull ? "!" : "");
		/* a display string: a type nested past the buffer is cut */
		if (n < 0 && len > 0)
			buf[0] = '\0';
	} else {
		snprintf(buf, len, "%s%s", t->name ? t->name : "?",
			 t->nonnull ? "!" : "");
	}
	return buf;
}

const char *
gql_value_str(const gql_value *v, char *buf, size_t len)
{
	if (v == NULL) {
		snprintf(buf, len, "null");
		return buf;
	}
	switch (v->kind) {
	case GQL_V_VAR:
		snprintf(buf, len, "$%s", v->s);
		break;
	case GQL_V_STRING:
		snprintf(buf, len, "\"%.40s%s\"", v->s,
			 strlen(v->s) > 40 ? "..." : "");
		break;
	case GQL_V_LIST:
		snprintf(buf, len, "[...]");
		break;
	case GQL_V_OBJECT:
		snprintf(buf, len, "{...}");
		break;
	default:
		snprintf(buf, len, "%.40s", v->s ? v->s : "null");
		break;
	}
	return buf;
}
