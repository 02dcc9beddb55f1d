/*
 * test_csv.c - the CSV dialect of bulk files: quoting, line ends, the byte
 * order mark, blank lines, row numbers in refusals, caps, and the writer's
 * output read back by the reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/csv.h"

/* Parse a NUL-terminated text that must be accepted. */
static ps_csv *
parse_ok(const char *text)
{
	ps_csv *csv = NULL;
	ps_csv_error err;

	if (ps_csv_parse(&csv, &err, text, strlen(text), NULL) != 0)
		fail_msg("refused: %s", ps_error_last());
	assert_non_null(csv);
	assert_int_equal(err.fault, PS_CSV_FAULT_NONE);
	return csv;
}

static void
assert_row(const ps_csv *csv, size_t i, size_t row, size_t nfields,
	   const char *const *want)
{
	size_t j;

	assert_true(i < csv->n);
	assert_int_equal(csv->rows[i].row, row);
	assert_int_equal(csv->rows[i].nfields, nfields);
	for (j = 0; j < nfields; j++)
		assert_string_equal(csv->rows[i].field[j], want[j]);
}

static void
test_csv__empty_texts_have_no_rows(void **state)
{
	static const char *const texts[] = {"", "\n", "\r\n\r\n",
					    "\xEF\xBB\xBF", "\xEF\xBB\xBF\n\n"};
	ps_csv *csv = NULL;
	size_t i;

	(void)state;
	assert_int_equal(ps_csv_parse(&csv, NULL, NULL, 0, NULL), 0);
	assert_int_equal(csv->n, 0);
	ps_csv_free(csv);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		csv = parse_ok(texts[i]);
		assert_int_equal(csv->n, 0);
		ps_csv_free(csv);
	}
	ps_csv_free(NULL);
}

static void
test_csv__plain_rows_and_empty_fields(void **state)
{
	ps_csv *csv;

	(void)state;
	csv = parse_ok("a,b,c\n1,,3\n,\nlast,no,newline");
	assert_int_equal(csv->n, 4);
	assert_row(csv, 0, 1, 3, (const char *[]){"a", "b", "c"});
	assert_row(csv, 1, 2, 3, (const char *[]){"1", "", "3"});
	assert_row(csv, 2, 3, 2, (const char *[]){"", ""});
	assert_row(csv, 3, 4, 3, (const char *[]){"last", "no", "newline"});
	ps_csv_free(csv);
}

static void
test_csv__quoted_fields(void **state)
{
	ps_csv *csv;

	(void)state;
	csv = parse_ok("\"Free Shipping, ground\",\"Say \"\"hi\"\"\",\"\"\n"
		       "\"two\nlines\",\"crlf\r\ninside\",\"\"\"\"\n"
		       "next,row\n");
	assert_int_equal(csv->n, 3);
	assert_row(csv, 0, 1, 3,
		   (const char *[]){"Free Shipping, ground", "Say \"hi\"", ""});
	assert_row(csv, 1, 2, 3,
		   (const char *[]){"two\nlines", "crlf\r\ninside", "\""});
	/* a record over several lines is still one spreadsheet row */
	assert_row(csv, 2, 3, 2, (const char *[]){"next", "row"});
	ps_csv_free(csv);
}

static void
test_csv__crlf_bom_and_blank_lines(void **state)
{
	ps_csv *csv;

	(void)state;
	csv = parse_ok("\xEF\xBB\xBFkind,source\r\n\r\nx,1\r\n\n\"y\",2\r\n");
	assert_int_equal(csv->n, 3);
	assert_row(csv, 0, 1, 2, (const char *[]){"kind", "source"});
	/* blank lines are skipped but counted, as a spreadsheet shows them */
	assert_row(csv, 1, 3, 2, (const char *[]){"x", "1"});
	assert_row(csv, 2, 5, 2, (const char *[]){"y", "2"});
	ps_csv_free(csv);

	/* a lone CR is data; a byte order mark later on is data too */
	csv = parse_ok("a\rb,c\n\xEF\xBB\xBFz\n");
	assert_row(csv, 0, 1, 2, (const char *[]){"a\rb", "c"});
	assert_row(csv, 1, 2, 1, (const char *[]){"\xEF\xBB\xBFz"});
	ps_csv_free(csv);
}

/* Each bad text is refused whole, naming the record's row. */
static void
test_csv__bad_rows_are_named(void **state)
{
	static const struct {
		const char *text;
		ps_csv_fault fault;
		size_t row;
		const char *msg;
	} bad[] = {
		{"h\n\nok,1\n\"open,2\n", PS_CSV_FAULT_OPEN_QUOTE, 4,
		 "row 4: a quoted field is not closed"},
		{"\"", PS_CSV_FAULT_OPEN_QUOTE, 1,
		 "row 1: a quoted field is not closed"},
		{"h\n\"a\"b,1\n", PS_CSV_FAULT_AFTER_QUOTE, 2,
		 "row 2: text after a closing quote"},
		{"h\n\"a\" ,1\n", PS_CSV_FAULT_AFTER_QUOTE, 2,
		 "row 2: text after a closing quote"},
		{"h\r\nx,9\"x\r\n", PS_CSV_FAULT_STRAY_QUOTE, 2,
		 "row 2: a quote inside an unquoted field"},
		{"\"multi\nline\"\nbad\"\n", PS_CSV_FAULT_STRAY_QUOTE, 2,
		 "row 2: a quote inside"},
	};
	static ps_csv dummy;
	ps_csv *csv;
	ps_csv_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		csv = &dummy; /* must come back NULL */
		assert_int_equal(ps_csv_parse(&csv, &err, bad[i].text,
					      strlen(bad[i].text), NULL),
				 PS_EPARSE);
		assert_null(csv);
		assert_int_equal(err.fault, bad[i].fault);
		assert_int_equal(err.row, bad[i].row);
		if (strstr(ps_error_last(), bad[i].msg) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i,
				 ps_error_last(), bad[i].msg);
	}
}

static void
test_csv__nul_byte_is_not_text(void **state)
{
	static const char text[] = "a,b\nc\0d\n";
	ps_csv *csv = NULL;
	ps_csv_error err;

	(void)state;
	assert_int_equal(ps_csv_parse(&csv, &err, text, sizeof(text) - 1, NULL),
			 PS_EPARSE);
	assert_null(csv);
	assert_int_equal(err.fault, PS_CSV_FAULT_NUL);
	assert_string_equal(ps_error_last(), "not a text file (NUL byte)");
	/* the length is what counts, not a NUL at its end */
	assert_int_equal(ps_csv_parse(&csv, NULL, text, 3, NULL), 0);
	assert_row(csv, 0, 1, 2, (const char *[]){"a", "b"});
	ps_csv_free(csv);
}

static void
test_csv__caps(void **state)
{
	ps_csv_options o = PS_CSV_OPTIONS_INIT;
	ps_csv *csv = NULL;
	ps_csv_error err;
	const char *t;

	(void)state;
	/* one field: the unquoted length counts, at the boundary exactly */
	o.max_field = 4;
	t = "abcd,\"ab\"\"c\"\n";
	assert_int_equal(ps_csv_parse(&csv, &err, t, strlen(t), &o), 0);
	assert_row(csv, 0, 1, 2, (const char *[]){"abcd", "ab\"c"});
	ps_csv_free(csv);
	t = "abcd\n\nx,abcde\n";
	assert_int_equal(ps_csv_parse(&csv, &err, t, strlen(t), &o),
			 PS_ETOOBIG);
	assert_null(csv);
	assert_int_equal(err.fault, PS_CSV_FAULT_TOO_BIG);
	assert_int_equal(err.row, 3);
	assert_string_equal(ps_error_last(),
			    "row 3: a field is longer than 4 bytes");

	/* fields in one record */
	o = (ps_csv_options)PS_CSV_OPTIONS_INIT;
	o.max_fields = 3;
	t = "a,b,c\n,,\nd,e,f,g\n";
	assert_int_equal(ps_csv_parse(&csv, &err, t, strlen(t), &o),
			 PS_ETOOBIG);
	assert_int_equal(err.row, 3);
	assert_string_equal(ps_error_last(), "row 3: more than 3 fields");
	assert_int_equal(ps_csv_parse(&csv, &err, t, 9, &o), 0);
	assert_int_equal(csv->n, 2);
	ps_csv_free(csv);

	/* the whole text */
	o = (ps_csv_options)PS_CSV_OPTIONS_INIT;
	o.max_bytes = 8;
	assert_int_equal(ps_csv_parse(&csv, &err, "12345678", 8, &o), 0);
	ps_csv_free(csv);
	assert_int_equal(ps_csv_parse(&csv, &err, "123456789", 9, &o),
			 PS_ETOOBIG);
	assert_int_equal(err.row, 0);
	assert_string_equal(ps_error_last(), "larger than 8 bytes");
}

/* The default field cap holds a big field and refuses a bigger one. */
static void
test_csv__default_field_cap(void **state)
{
	size_t len = PS_CSV_MAX_FIELD + 1;
	char *t = malloc(len + 1);
	ps_csv *csv = NULL;

	(void)state;
	assert_non_null(t);
	memset(t, 'x', len);
	t[len] = '\0';
	assert_int_equal(ps_csv_parse(&csv, NULL, t, len - 1, NULL), 0);
	assert_int_equal(strlen(csv->rows[0].field[0]), len - 1);
	ps_csv_free(csv);
	assert_int_equal(ps_csv_parse(&csv, NULL, t, len, NULL), PS_ETOOBIG);
	assert_null(csv);
	free(t);
}

static void
test_csv__writer_quotes_and_reads_back(void **state)
{
	static const char *const row[] = {
		"plain",      "",         NULL,    "a,b",    "Say \"hi\"",
		"two\nlines", "cr\rhere", " lead", "trail ", "mid space"};
	size_t n = sizeof(row) / sizeof(row[0]), len = 0, i;
	char *text = NULL;
	ps_csv *csv;
	FILE *mem;

	(void)state;
	assert_non_null(mem = open_memstream(&text, &len));
	assert_int_equal(ps_csv_write_row(mem, row, n), 0);
	assert_int_equal(ps_csv_write_row(mem, row, 1), 0);
	assert_int_equal(fclose(mem), 0);
	assert_string_equal(text, "plain,,,\"a,b\",\"Say \"\"hi\"\"\","
				  "\"two\nlines\",\"cr\rhere\",\" lead\","
				  "\"trail \",mid space\nplain\n");
	csv = parse_ok(text);
	assert_int_equal(csv->n, 2);
	assert_int_equal(csv->rows[0].nfields, n);
	for (i = 0; i < n; i++)
		assert_string_equal(csv->rows[0].field[i],
				    row[i] != NULL ? row[i] : "");
	assert_int_equal(csv->rows[1].row, 2);
	ps_csv_free(csv);
	free(text);
}

static void
test_csv__writer_reports_a_stream_error(void **state)
{
	static const char *const row[] = {"a", "b"};
	FILE *f;

	(void)state;
	assert_non_null(f = fopen("/dev/null", "r"));
	assert_int_equal(ps_csv_write_row(f, row, 2), PS_EIO);
	fclose(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv__empty_texts_have_no_rows),
		cmocka_unit_test(test_csv__plain_rows_and_empty_fields),
		cmocka_unit_test(test_csv__quoted_fields),
		cmocka_unit_test(test_csv__crlf_bom_and_blank_lines),
		cmocka_unit_test(test_csv__bad_rows_are_named),
		cmocka_unit_test(test_csv__nul_byte_is_not_text),
		cmocka_unit_test(test_csv__caps),
		cmocka_unit_test(test_csv__default_field_cap),
		cmocka_unit_test(test_csv__writer_quotes_and_reads_back),
		cmocka_unit_test(test_csv__writer_reports_a_stream_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
