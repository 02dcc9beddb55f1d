/*
 * csv.c - the CSV reader and writer behind `pearlsync mappings import` and
 * `export` and the console's mapping editors (dialect in csv.h).
 *
 * The reader copies the text once and unquotes every field in place: the
 * unquoted text is never longer than the quoted, so the write position never
 * overtakes the read position.  Field pointers go into one growing array and
 * are attached to their records only at the end, when it no longer moves.
 */
#include "pearlsync/csv.h"

#include <stdlib.h>
#include <string.h>

#define OPT(o, f, dflt) ((o) != NULL && (o)->f != 0 ? (o)->f : (dflt))

/* Set err and the last error for a refused text. */
static int
refuse(ps_csv_error *err, int code, ps_csv_fault fault, size_t row,
       const char *what)
{
	if (err != NULL) {
		err->fault = fault;
		err->row = row;
	}
	if (row == 0)
		return ps_error_set(code, "%s", what);
	return ps_error_set(code, "row %zu: %s", row, what);
}

/* End of a record at p: LF, CRLF or the end of the text.  A lone CR is
 * data, as RFC 4180 has it. */
static int
at_eol(const char *p)
{
	return *p == '\0' || *p == '\n' || (*p == '\r' && p[1] == '\n');
}

int
ps_csv_parse(ps_csv **out, ps_csv_error *err, const char *text, size_t len,
	     const ps_csv_options *opts)
{
	size_t max_bytes = OPT(opts, max_bytes, PS_CSV_MAX_BYTES);
	size_t max_field = OPT(opts, max_field, PS_CSV_MAX_FIELD);
	size_t max_fields = OPT(opts, max_fields, PS_CSV_MAX_FIELDS);
	ps_csv *csv = NULL;
	size_t *first = NULL; /* per record: index of its first field */
	size_t rcap = 0, fcap = 0, nf = 0, rowno = 0, i;
	char *p, *w, *start;
	ps_csv_row *r;
	void *grown;
	char msg[96];
	int error = 0;

	*out = NULL;
	if (err != NULL) {
		err->fault = PS_CSV_FAULT_NONE;
		err->row = 0;
	}
	if (text == NULL && len > 0)
		return ps_error_set(PS_EINVAL, "ps_csv_parse: NULL text");
	if (len > max_bytes) {
		snprintf(msg, sizeof(msg), "larger than %zu bytes", max_bytes);
		return refuse(err, PS_ETOOBIG, PS_CSV_FAULT_TOO_BIG, 0, msg);
	}
	if (len > 0 && memchr(text, '\0', len) != NULL)
		return refuse(err, PS_EPARSE, PS_CSV_FAULT_NUL, 0,
			      "not a text file (NUL byte)");
	if ((csv = calloc(1, sizeof(*csv))) == NULL ||
	    (csv->text_ = malloc(len + 1)) == NULL)
		goto oom;
	if (len > 0)
		memcpy(csv->text_, text, len);
	csv->text_[len] = '\0';
	p = csv->text_;
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (*p != '\0') {
		rowno++;
		if (*p == '\n' || (*p == '\r' && p[1] == '\n')) {
			p += *p == '\r' ? 2 : 1;
			continue;
		}
		if (csv->n == rcap) {
			rcap = rcap ? rcap * 2 : 64;
			if ((grown = realloc(csv->rows,
					     rcap * sizeof(*csv->rows))) ==
			    NULL)
				goto oom;
			csv->rows = grown;
			if ((grown = realloc(first, rcap * sizeof(*first))) ==
			    NULL)
				goto oom;
			first = grown;
		}
		r = &csv->rows[csv->n];
		memset(r, 0, sizeof(*r));
		r->row = rowno;
		first[csv->n++] = nf;
		for (;;) {
			/* one field, unquoted into w */
			if (r->nfields == max_fields) {
				snprintf(msg, sizeof(msg),
					 "more than %zu fields", max_fields);
				error = refuse(err, PS_ETOOBIG,
					       PS_CSV_FAULT_TOO_BIG, rowno,
					       msg);
				goto done;
			}
			if (nf == fcap) {
				fcap = fcap ? fcap * 2 : 256;
				if ((grown = realloc(csv->fields_,
						     fcap * sizeof(char *))) ==
				    NULL)
					goto oom;
				csv->fields_ = grown;
			}
			start = w = p;
			csv->fields_[nf++] = start;
			r->nfields++;
			if (*p == '"') {
				p++;
				for (;;) {
					if (*p == '\0') {
						error = refuse(
							err, PS_EPARSE,
							PS_CSV_FAULT_OPEN_QUOTE,
							rowno,
							"a quoted field is not "
							"closed");
						goto done;
					}
					if (*p == '"' && p[1] == '"') {
						*w++ = '"';
						p += 2;
					} else if (*p == '"') {
						p++;
						break;
					} else {
						*w++ = *p++;
					}
				}
				if (*p != ',' && !at_eol(p)) {
					error = refuse(err, PS_EPARSE,
						       PS_CSV_FAULT_AFTER_QUOTE,
						       rowno,
						       "text after a closing "
						       "quote");
					goto done;
				}
			} else {
				while (*p != ',' && !at_eol(p)) {
					if (*p == '"') {
						error = refuse(
							err, PS_EPARSE,
							PS_CSV_FAULT_STRAY_QUOTE,
							rowno,
							"a quote inside an "
							"unquoted field");
						goto done;
					}
					*w++ = *p++;
				}
			}
			if ((size_t)(w - start) > max_field) {
				snprintf(msg, sizeof(msg),
					 "a field is longer than %zu bytes",
					 max_field);
				error = refuse(err, PS_ETOOBIG,
					       PS_CSV_FAULT_TOO_BIG, rowno,
					       msg);
				goto done;
			}
			if (*p == ',') {
				*w = '\0';
				p++;
				continue;
			}
			/* end of record; w <= p, so terminate after moving */
			if (*p == '\r')
				p++;
			if (*p == '\n')
				p++;
			*w = '\0';
			break;
		}
	}
	for (i = 0; i < csv->n; i++)
		csv->rows[i].field = csv->fields_ + first[i];
	*out = csv;
	csv = NULL;
	goto done;
oom:
	error = ps_error_set(PS_ENOMEM, "out of memory");
done:
	free(first);
	ps_csv_free(csv);
	return error;
}

void
ps_csv_free(ps_csv *csv)
{
	if (csv == NULL)
		return;
	free(csv->rows);
	free(csv->fields_);
	free(csv->text_);
	free(csv);
}

/* One field, quoted when it needs to be. */
static void
write_field(FILE *f, const char *s)
{
	size_t n = strlen(s);

	if (strpbrk(s, ",\"\r\n") == NULL &&
	    (n == 0 || (s[0] != ' ' && s[n - 1] != ' '))) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int
ps_csv_write_row(FILE *f, const char *const *field, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', f);
		write_field(f, field[i] != NULL ? field[i] : "");
	}
	fputc('\n', f);
	if (ferror(f))
		return ps_error_set(PS_EIO, "cannot write CSV: write error");
	return 0;
}
