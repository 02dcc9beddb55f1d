/*
 * csv.h - the CSV dialect of pearlsync's bulk files (mapping tables today),
 * read and written in one place so a file written by the command line is
 * read by the console and the other way round.
 *
 * The dialect is RFC 4180: comma separated; a field holding a comma, a
 * double quote or a line break is put in double quotes, with "" for a quote
 * inside; records end in CRLF or LF.  A UTF-8 byte order mark at the start
 * (spreadsheets write one) is skipped.  Blank lines are skipped but still
 * counted, so a row number is the one a spreadsheet shows for the record
 * (the file's first record, usually the header, is row 1).
 */
#ifndef PEARLSYNC_CSV_H
#define PEARLSYNC_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "pearlsync/common.h"

/* Default caps: far beyond any real mapping table, small enough that a
 * wrong file fails cleanly instead of filling memory. */
#define PS_CSV_MAX_BYTES ((size_t)16 * 1024 * 1024) /* whole text */
#define PS_CSV_MAX_FIELD ((size_t)64 * 1024) /* one field, unquoted bytes */
#define PS_CSV_MAX_FIELDS ((size_t)1024)     /* fields in one record */

/* Limits of ps_csv_parse(); 0 in a field means its PS_CSV_MAX_* default. */
typedef struct ps_csv_options {
	size_t max_bytes;  /* length of the whole text, bytes */
	size_t max_field;  /* one field after unquoting, bytes */
	size_t max_fields; /* fields in one record */
} ps_csv_options;

/* clang-format off */
#define PS_CSV_OPTIONS_INIT {0, 0, 0}
/* clang-format on */

/* Why a text was refused (see ps_csv_error). */
typedef enum ps_csv_fault {
	PS_CSV_FAULT_NONE = 0,
	PS_CSV_FAULT_OPEN_QUOTE,  /* a quoted field runs to the end */
	PS_CSV_FAULT_AFTER_QUOTE, /* text after a closing quote */
	PS_CSV_FAULT_STRAY_QUOTE, /* a quote inside an unquoted field */
	PS_CSV_FAULT_NUL,         /* a NUL byte: not a text file */
	PS_CSV_FAULT_TOO_BIG      /* text, field or record over a cap */
} ps_csv_fault;

/* Where and why ps_csv_parse() refused a text. */
typedef struct ps_csv_error {
	ps_csv_fault fault;
	size_t row; /* spreadsheet row of the bad record; 0 for the text */
} ps_csv_error;

/* One record. */
typedef struct ps_csv_row {
	char **field;   /* nfields strings, unquoted; owned by the ps_csv */
	size_t nfields; /* >= 1: an empty record is a blank line, skipped */
	size_t row;     /* spreadsheet row number, first record = 1 */
} ps_csv_row;

/* A parsed text: its records in order, blank lines left out. */
typedef struct ps_csv {
	ps_csv_row *rows; /* n records, owned */
	size_t n;
	char *text_;    /* private: the unquoted copy the fields point into */
	char **fields_; /* private: every record's field pointers */
} ps_csv;

/*
 * ps_csv_parse - split text (len bytes, need not end in NUL) into records.
 * opts may be NULL for the defaults; err may be NULL.
 *
 * On success *out is a new table the caller frees with ps_csv_free(); a
 * text with no records (empty, or only blank lines) gives n == 0.  On
 * failure *out is NULL, err (if given) says why and in which row, and the
 * last error reads "row N: ..." (PS_EPARSE: "a quoted field is not closed",
 * "text after a closing quote", "a quote inside an unquoted field", "not a
 * text file (NUL byte)"; PS_ETOOBIG: over a cap; PS_ENOMEM).  Callers add
 * the file name in front.  Thread-safe (no shared state).
 */
int ps_csv_parse(ps_csv **out, ps_csv_error *err, const char *text, size_t len,
		 const ps_csv_options *opts);

/* ps_csv_free - release a table from ps_csv_parse(); NULL is fine. */
void ps_csv_free(ps_csv *csv);

/*
 * ps_csv_write_row - write n fields (NULL counts as empty) as one record
 * ending in LF.  A field is quoted when it holds a comma, quote, CR or LF,
 * or starts or ends with a space (which some spreadsheets would trim).
 * Returns 0, or PS_EIO if the stream reports an error.
 */
int ps_csv_write_row(FILE *f, const char *const *field, size_t n);

#endif
