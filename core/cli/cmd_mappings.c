/*
 * cmd_mappings.c - `pearlsync mappings`: the value mappings between
 * platforms (statuses, shipping methods, warehouses, ...), one at a time or
 * in bulk from a CSV file.
 *
 * The CSV import is all or nothing.  Every row is checked here first, so the
 * operator gets every problem's row number as a spreadsheet shows it (the
 * header is row 1); the rows are then written by the store in one
 * transaction, which checks them again.
 *
 * The CSV dialect (RFC 4180, CRLF or LF, a byte order mark skipped) is the
 * core's, in pearlsync/csv.h, shared with the console's mapping editors.
 */
#include "commands.h"
#include "mapping_lists.h"
#include "pearlsync/platform.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/config.h"
#include "pearlsync/csv.h"
#include "pearlsync/store.h"

#define CSV_FIELDS 4

const char ps_cli_usage_mappings[] =
	"usage: pearlsync mappings list [--kind KIND] [--direction DIR]\n"
	"       pearlsync mappings set KIND DIRECTION SOURCE TARGET\n"
	"       pearlsync mappings set-default KIND DIRECTION TARGET\n"
	"       pearlsync mappings delete KIND DIRECTION SOURCE\n"
	"       pearlsync mappings delete-default KIND DIRECTION\n"
	"       pearlsync mappings import [--replace] [--offline] [--check]\n"
	"                                FILE.csv      (FILE '-': stdin)\n"
	"       pearlsync mappings export [--kind KIND] [--direction DIR]\n"
	"\n"
	"A mapping turns a value on one platform into the value to use on\n"
	"another.  KIND names what is mapped (order_status, shipping_method,\n"
	"warehouse, payment_method, channel, ...: lower case, digits, _).\n"
	"DIRECTION is two platform codes, from>to (\"bc>bp\"), of:\n"
	"  " PS_CLI_PLATFORMS "\n"
	"The default of a KIND and DIRECTION is used for any SOURCE without a\n"
	"row of its own.  Every change is recorded in the settings history\n"
	"(see 'pearlsync settings history' and 'settings rollback').\n"
	"\n"
	"CSV files (import and export) have the header row\n"
	"  kind,direction,source,target\n"
	"and one mapping per row; an empty source is the default.  Import\n"
	"checks every row first: each bad row is named by its row number\n"
	"(the header is row 1) and then nothing is imported.  --check only\n"
	"checks the file (exit 0: every row is good).  Rows replace\n"
	"existing mappings with the same kind, direction and source; with\n"
	"--replace, every existing mapping of a kind and direction that the\n"
	"file contains is removed first.\n"
	"\n"
	"Values of the tables the setup steps know (warehouses, statuses,\n"
	"shipping methods, service levels, ...) are checked against the\n"
	"platforms' lists, fetched afresh from every\n"
	"platform that is switched on and configured; one not in its list\n"
	"refuses the file.  --offline checks against the lists fetched\n"
	"before instead.  A list never fetched lets any value through.\n"
	"\n"
	"Product tables store a product id, the value the flows read.\n"
	"A TARGET there that is not a number is taken as the product's SKU,\n"
	"looked up on its platform and replaced by the product's id; an id\n"
	"must exist.  No match, or several, refuses it and lists the\n"
	"candidates.  With --offline, or that platform not configured, only\n"
	"an id is taken.\n"
	"\n"
	"Exit status: 0 done, 1 failed (bad row, unknown mapping, database\n"
	"error; nothing changed), 2 bad usage or config file.\n"
	"\n"
	"Examples:\n"
	"  pearlsync mappings set order_status bc>bp 11 4\n"
	"  pearlsync mappings set-default shipping_method bc>bp 7\n"
	"  pearlsync mappings set product bc>bp OLD-MUG-1 MUG-LOGO\n"
	"  pearlsync mappings export --kind order_status > statuses.csv\n"
	"  pearlsync mappings import --check statuses.csv\n"
	"  pearlsync mappings import statuses.csv\n";

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ps_cli_usage_error("mappings", "%s", msg);
}

/* ------------------------------------------------------------------------ */
/* Validation shared by set and import                                       */

static int
check_kind(const char *kind)
{
	if (kind[0] == '\0' ||
	    strspn(kind, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
		    strlen(kind))
		return ps_error_set(PS_EINVAL,
				    "kind '%s' must be lower-case letters, "
				    "digits and _ (e.g. order_status)",
				    kind);
	return 0;
}

static int
check_direction(const char *dir)
{
	const ps_platform_ops *const *p;
	const char *gt = strchr(dir, '>');
	char from[16], codes[128];
	ps_platform a, b;
	size_t n, len = 0;

	if (gt != NULL) {
		n = (size_t)(gt - dir);
		if (n > 0 && n < sizeof(from)) {
			memcpy(from, dir, n);
			from[n] = '\0';
			if (ps_platform_parse(&a, from) == 0 &&
			    ps_platform_parse(&b, gt + 1) == 0 && a != b)
				return 0;
		}
	}
	ps_error_clear();
	codes[0] = '\0';
	for (p = ps_platforms_all(); *p != NULL; p++)
		len += (size_t)snprintf(
			codes + len,
			len < sizeof(codes) ? sizeof(codes) - len : 0, "%s%s",
			len > 0 ? ", " : "", (*p)->code);
	return ps_error_set(PS_EINVAL,
			    "direction '%s' must be two different platform "
			    "codes as from>to (%s)",
			    dir, codes);
}

static int
check_mapping(const char *kind, const char *dir, const char *target)
{
	int error;

	if ((error = check_kind(kind)) < 0 ||
	    (error = check_direction(dir)) < 0)
		return error;
	if (target != NULL && target[0] == '\0')
		return ps_error_set(PS_EINVAL, "the target must not be empty");
	return 0;
}

static int
fail(void)
{
	ps_cli_error("%s", ps_error_last());
	return PS_EXIT_FAIL;
}

/* ------------------------------------------------------------------------ */
/* list, export                                                              */

static int
print_row(const ps_mapping *m, void *payload)
{
	(void)payload;
	printf("%-20s %-10s %-24s %s\n", m->kind, m->direction,
	       (m->source && m->source[0]) ? m->source : "(default)",
	       m->target);
	return 0;
}

static int
export_row(const ps_mapping *m, void *payload)
{
	const char *f[CSV_FIELDS];

	f[0] = m->kind;
	f[1] = m->direction;
	f[2] = m->source;
	f[3] = m->target;
	/* as before the shared writer: a failing stdout does not stop it */
	(void)ps_csv_write_row(payload, f, CSV_FIELDS);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* CSV import                                                                */

static int
read_all(char **out, size_t *out_len, const char *file)
{
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
	char *buf = NULL, *grown;
	size_t len = 0, cap = 0, n;
	int error = 0;

	*out = NULL;
	if (f == NULL)
		return ps_error_set(PS_EIO, "%s: %s", file, strerror(errno));
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			grown = realloc(buf, cap + 1);
			if (grown == NULL) {
				error = ps_error_set(PS_ENOMEM, NULL);
				goto done;
			}
			buf = grown;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (len > PS_CSV_MAX_BYTES) {
			error = ps_error_set(PS_ETOOBIG,
					     "%s: larger than %zu bytes", file,
					     PS_CSV_MAX_BYTES);
			goto done;
		}
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		error = ps_error_set(PS_EIO, "%s: read error", file);
		goto done;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	buf = NULL;
done:
	if (f != stdin)
		fclose(f);
	free(buf);
	return error;
}

static int
check_header(const ps_csv_row *h, const char *file)
{
	static const char *const names[CSV_FIELDS] = {"kind", "direction",
						      "source", "target"};
	size_t i;

	if (h->nfields != CSV_FIELDS)
		goto bad;
	for (i = 0; i < CSV_FIELDS; i++)
		if (strcmp(h->field[i], names[i]) != 0)
			goto bad;
	return 0;
bad:
	return ps_error_set(PS_EPARSE,
			    "%s: row %zu: the header must be "
			    "kind,direction,source,target",
			    file, h->row);
}

/* Lines said about the rows of a file: the bad rows, or what lookups
 * found.  Each "FILE: row N: ...". */
struct lines {
	char **v;
	size_t n;
};

static int lines_add(struct lines *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
lines_add(struct lines *l, const char *fmt, ...)
{
	char msg[PS_ERROR_MAX + 512], **g;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((g = realloc(l->v, (l->n + 1) * sizeof(*g))) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	l->v = g;
	if ((g[l->n] = strdup(msg)) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	l->n++;
	return 0;
}

static void
lines_dispose(struct lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

struct import_ctx {
	ps_store *st;
	const ps_cli_global *g;
	const char *name; /* the file as the operator named it */
	int offline;
	ps_cli_maplists *ml;
	ps_mapping *maps; /* the good rows, targets as stored */
	char **targets;   /* owned, parallel to maps */
	size_t *rownos;   /* parallel to maps: spreadsheet row numbers */
	size_t nmaps;
	struct lines bad;   /* one line per bad row */
	struct lines found; /* what product lookups found */
};

/*
 * Check row r; a good row joins c->maps, a bad one c->bad (every row is
 * checked, so the operator sees every problem at once).  Returns 0 or an
 * error that stops the import (out of memory).
 */
static int
import_row(struct import_ctx *c, const ps_csv_row *r)
{
	ps_mapping *m = &c->maps[c->nmaps];
	char how[PS_ERROR_MAX], *target = NULL;
	size_t j;
	int error;

	if (r->nfields != CSV_FIELDS)
		return lines_add(&c->bad,
				 "%s: row %zu: expected 4 fields "
				 "(kind,direction,source,target), found %zu",
				 c->name, r->row, r->nfields);
	if (check_mapping(r->field[0], r->field[1], r->field[3]) < 0)
		goto bad;
	/* quadratic, but tables are hundreds of rows, not millions */
	for (j = 0; j < c->nmaps; j++)
		if (strcmp(c->maps[j].kind, r->field[0]) == 0 &&
		    strcmp(c->maps[j].direction, r->field[1]) == 0 &&
		    strcmp(c->maps[j].source, r->field[2]) == 0)
			return lines_add(
				&c->bad,
				"%s: row %zu: %s %s '%s' is already "
				"mapped in row %zu",
				c->name, r->row, r->field[0], r->field[1],
				r->field[2][0] ? r->field[2] : "(default)",
				c->rownos[j]);
	if (ps_cli_maplists_check(c->ml, r->field[0], r->field[1], r->field[2],
				  r->field[3]) < 0)
		goto bad;
	error = ps_cli_maplists_target(&target, how, sizeof(how), c->ml, c->g,
				       c->offline, r->field[0], r->field[1],
				       r->field[3]);
	if (error == PS_ENOMEM)
		return error;
	if (error < 0)
		goto bad;
	if (strcmp(target, r->field[3]) != 0 &&
	    (error = lines_add(&c->found, "%s: row %zu: %s", c->name, r->row,
			       how)) < 0) {
		free(target);
		return error;
	}
	m->kind = r->field[0];
	m->direction = r->field[1];
	m->source = r->field[2];
	m->target = target;
	c->targets[c->nmaps] = target;
	c->rownos[c->nmaps] = r->row;
	c->nmaps++;
	return 0;
bad:
	return lines_add(&c->bad, "%s: row %zu: %s", c->name, r->row,
			 ps_error_last());
}

static int
cmd_import(ps_store *st, const ps_cli_global *g, const char *file,
	   unsigned flags, int offline, int check_only)
{
	struct import_ctx c;
	ps_csv *csv = NULL;
	ps_csv_row *rows;
	char *buf = NULL;
	size_t len = 0, n = 0, i;
	int64_t version = 0;
	int error;

	memset(&c, 0, sizeof(c));
	c.st = st;
	c.g = g;
	c.offline = offline;
	c.name = strcmp(file, "-") == 0 ? "<stdin>" : file;
	if ((error = read_all(&buf, &len, file)) < 0)
		goto done;
	if ((error = ps_csv_parse(&csv, NULL, buf, len, NULL)) < 0) {
		ps_cli_error_prefix(error, "%s", c.name);
		goto done;
	}
	rows = csv->rows;
	n = csv->n;
	if (n == 0) {
		error = ps_error_set(PS_EPARSE,
				     "%s: empty; expected the header row "
				     "kind,direction,source,target",
				     c.name);
		goto done;
	}
	if ((error = check_header(&rows[0], c.name)) < 0)
		goto done;
	if ((c.maps = calloc(n, sizeof(*c.maps))) == NULL ||
	    (c.targets = calloc(n, sizeof(*c.targets))) == NULL ||
	    (c.rownos = calloc(n, sizeof(*c.rownos))) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	if ((error = ps_cli_maplists_new(&c.ml, st)) < 0)
		goto done;
	for (i = 1; i < n; i++)
		if (rows[i].nfields == CSV_FIELDS)
			ps_cli_maplists_need(c.ml, rows[i].field[0],
					     rows[i].field[1]);
	if ((error = ps_cli_maplists_fetch(c.ml, g, offline)) < 0) {
		error = ps_cli_error_prefix(error, "%s", c.name);
		goto done;
	}
	for (i = 1; i < n; i++)
		if ((error = import_row(&c, &rows[i])) < 0)
			goto done;
	if (c.bad.n == 1) {
		error = ps_error_set(PS_EPARSE, "%s", c.bad.v[0]);
		goto done;
	}
	if (c.bad.n > 1) {
		for (i = 0; i < c.bad.n; i++)
			ps_cli_error("%s", c.bad.v[i]);
		error = ps_error_set(PS_EPARSE, "%s: %zu bad row%s", c.name,
				     c.bad.n, c.bad.n == 1 ? "" : "s");
		goto done;
	}
	for (i = 0; i < c.found.n; i++)
		printf("%s\n", c.found.v[i]);
	if (check_only) {
		printf("%s: %zu mapping%s checked, all good (--check: nothing "
		       "imported)\n",
		       c.name, c.nmaps, c.nmaps == 1 ? "" : "s");
		goto done;
	}
	if (c.nmaps > 0 && (error = ps_store_mapping_import(
				    &version, st, c.maps, c.nmaps, flags,
				    PS_CLI_ACTOR, ps_cli_now_ms())) < 0) {
		error = ps_cli_error_prefix(error, "%s", c.name);
		goto done;
	}
	printf("imported %zu mapping%s from %s", c.nmaps,
	       c.nmaps == 1 ? "" : "s", c.name);
	if (version == 0)
		printf(" (nothing changed)\n");
	else
		printf(" (version %lld)\n", (long long)version);
done:
	if (error < 0)
		ps_cli_error("%s; nothing was imported", ps_error_last());
	for (i = 0; c.targets != NULL && i < n; i++)
		free(c.targets[i]);
	free(c.targets);
	free(c.rownos);
	free(c.maps);
	lines_dispose(&c.bad);
	lines_dispose(&c.found);
	ps_cli_maplists_free(c.ml);
	ps_csv_free(csv);
	free(buf);
	return error < 0 ? PS_EXIT_FAIL : PS_EXIT_OK;
}

/*
 * set and set-default: args are KIND DIRECTION [SOURCE] TARGET.  A product
 * table's target is looked up on its platform first, so what is stored is
 * the product id the order imports read.
 */
static int
cmd_set(ps_store *st, const ps_cli_global *g, char **args, int dflt)
{
	ps_cli_maplists *ml = NULL;
	char how[PS_ERROR_MAX], *target = NULL;
	int64_t version = 0;
	ps_mapping m;
	int status = PS_EXIT_OK;

	m.kind = args[0];
	m.direction = args[1];
	m.source = dflt ? NULL : args[2];
	m.target = dflt ? args[2] : args[3];
	if (check_mapping(m.kind, m.direction, m.target) < 0 ||
	    ps_cli_maplists_new(&ml, st) < 0) {
		status = fail();
		goto done;
	}
	if (ps_cli_maplists_target(&target, how, sizeof(how), ml, g, 0, m.kind,
				   m.direction, m.target) < 0) {
		ps_cli_error("%s %s: %s; nothing was stored", m.kind,
			     m.direction, ps_error_last());
		status = PS_EXIT_FAIL;
		goto done;
	}
	if (how[0] != '\0')
		printf("%s: storing %s\n", how, target);
	m.target = target;
	if (ps_store_mapping_set(&version, st, &m, PS_CLI_ACTOR,
				 ps_cli_now_ms()) < 0)
		status = fail();
	else if (version == 0)
		printf("unchanged\n");
	else
		printf("%s %s %s -> %s (version %lld)\n", m.kind, m.direction,
		       m.source ? m.source : "(default)", m.target,
		       (long long)version);
done:
	free(target);
	ps_cli_maplists_free(ml);
	return status;
}

/* ------------------------------------------------------------------------ */

struct filter_opts {
	const char *kind;
	const char *direction;
	unsigned flags;
	int offline; /* import: check against the cached lists */
	int check;   /* import: check only, import nothing */
	int optind;  /* first non-option argument */
};

/* Options of list, export and import. */
static int
parse_opts(struct filter_opts *o, int argc, char **argv, int allow_filter,
	   int allow_replace)
{
	static const struct option longopts[] = {
		{"kind", required_argument, NULL, 'k'},
		{"direction", required_argument, NULL, 'd'},
		{"replace", no_argument, NULL, 'r'},
		{"offline", no_argument, NULL, 'o'},
		{"check", no_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if ((c == 'k' || c == 'd') && allow_filter) {
			if (c == 'k')
				o->kind = optarg;
			else
				o->direction = optarg;
		} else if (c == 'r' && allow_replace) {
			o->flags |= PS_STORE_MAPPING_REPLACE;
		} else if (c == 'o' && allow_replace) {
			o->offline = 1;
		} else if (c == 'c' && allow_replace) {
			o->check = 1;
		} else if (c == ':') {
			return usage("%s needs a value", argv[optind - 1]);
		} else {
			return usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	o->optind = optind;
	return PS_EXIT_OK;
}

int
ps_cli_cmd_mappings(const ps_cli_global *g, int argc, char **argv)
{
	struct filter_opts o;
	const char *sub;
	ps_store *st = NULL;
	int status, nargs = argc - 2;
	int64_t version = 0;
	long long now = ps_cli_now_ms();

	if (argc < 2)
		return usage("%s", "mappings needs a subcommand");
	sub = argv[1];
	memset(&o, 0, sizeof(o));
	/* the shape first: usage mistakes exit 2 before the database opens */
	if (strcmp(sub, "list") == 0 || strcmp(sub, "export") == 0) {
		if ((status = parse_opts(&o, argc - 1, argv + 1, 1, 0)) != 0)
			return status;
		if (o.optind < argc - 1)
			return usage("unexpected argument '%s'",
				     argv[1 + o.optind]);
	} else if (strcmp(sub, "import") == 0) {
		if ((status = parse_opts(&o, argc - 1, argv + 1, 0, 1)) != 0)
			return status;
		if (o.optind != argc - 2)
			return usage("%s",
				     "mappings import takes one FILE.csv");
	} else if (strcmp(sub, "set") == 0) {
		if (nargs != 4)
			return usage("%s", "mappings set takes KIND DIRECTION "
					   "SOURCE TARGET");
	} else if (strcmp(sub, "set-default") == 0) {
		if (nargs != 3)
			return usage("%s", "mappings set-default takes KIND "
					   "DIRECTION TARGET");
	} else if (strcmp(sub, "delete") == 0) {
		if (nargs != 3)
			return usage("%s", "mappings delete takes KIND "
					   "DIRECTION SOURCE");
	} else if (strcmp(sub, "delete-default") == 0) {
		if (nargs != 2)
			return usage("%s", "mappings delete-default takes KIND "
					   "DIRECTION");
	} else {
		return usage("unknown mappings subcommand '%s'", sub);
	}

	if ((status = ps_cli_open_store(&st, NULL, g)) != PS_EXIT_OK)
		return status;
	status = PS_EXIT_OK;
	if (strcmp(sub, "list") == 0) {
		printf("%-20s %-10s %-24s %s\n", "KIND", "DIRECTION", "SOURCE",
		       "TARGET");
		if (ps_store_mapping_foreach(st, o.kind, o.direction, print_row,
					     NULL) != 0)
			status = fail();
	} else if (strcmp(sub, "export") == 0) {
		printf("kind,direction,source,target\n");
		if (ps_store_mapping_foreach(st, o.kind, o.direction,
					     export_row, stdout) != 0)
			status = fail();
	} else if (strcmp(sub, "import") == 0) {
		status = cmd_import(st, g, argv[1 + o.optind], o.flags,
				    o.offline, o.check);
	} else if (strcmp(sub, "set") == 0 || strcmp(sub, "set-default") == 0) {
		status = cmd_set(st, g, argv + 2,
				 strcmp(sub, "set-default") == 0);
	} else {
		int dflt = strcmp(sub, "delete-default") == 0;
		const char *source = dflt ? NULL : argv[4];

		if (check_mapping(argv[2], argv[3], NULL) < 0 ||
		    ps_store_mapping_remove(&version, st, argv[2], argv[3],
					    source, PS_CLI_ACTOR, now) < 0)
			status = fail();
		else
			printf("deleted %s %s %s (version %lld)\n", argv[2],
			       argv[3], source ? source : "(default)",
			       (long long)version);
	}
	ps_store_close(st);
	return status;
}
