/*
 * test_error.c - error codes, the thread-local detail and the redactor.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void
test_error__strerror_covers_every_code(void **state)
{
	(void)state;
	assert_string_equal(ps_strerror(PS_OK), "success");
	assert_string_equal(ps_strerror(PS_ENOTFOUND), "not found");
	assert_string_equal(ps_strerror(PS_EAUTH), "authentication failed");
	assert_string_equal(ps_strerror(12345), "unknown error");
	assert_string_equal(ps_error_name(PS_ERATELIMIT), "PS_ERATELIMIT");
}

static void
test_error__set_returns_code_and_keeps_detail(void **state)
{
	(void)state;
	ps_error_clear();
	assert_int_equal(ps_error_last_code(), 0);
	assert_int_equal(ps_error_set(PS_EDATA, "SKU '%s' not found", "TEE-M"),
			 PS_EDATA);
	assert_string_equal(ps_error_last(), "SKU 'TEE-M' not found");
	assert_int_equal(ps_error_last_code(), PS_EDATA);
	ps_error_set(PS_ENOMEM, NULL);
	assert_string_equal(ps_error_last(), "out of memory");
}

static void
test_error__long_detail_is_cut(void **state)
{
	char big[PS_ERROR_MAX * 2];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ps_error_set(PS_EINVAL, "%s", big);
	assert_int_equal(strlen(ps_error_last()), PS_ERROR_MAX - 1);
}

static void *
other_thread(void *arg)
{
	(void)arg;
	ps_error_set(PS_ENET, "other thread");
	return NULL;
}

static void
test_error__detail_is_per_thread(void **state)
{
	pthread_t t;

	(void)state;
	ps_error_set(PS_EINVAL, "main thread");
	assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
	pthread_join(t, NULL);
	assert_string_equal(ps_error_last(), "main thread");
}

static void
check_redact(const char *in, const char *want)
{
	char buf[512];

	ps_util__strlcpy(buf, in, sizeof(buf));
	ps_redact(buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void
test_error__redacts_credential_fields(void **state)
{
	(void)state;
	ps_log_clear_secrets();
	check_redact("X-Auth-Token: abc123def", "X-Auth-Token: ****");
	check_redact("brightpearl-account-token: zz99\r\nAccept: */*",
		     "brightpearl-account-token: ****\r\nAccept: */*");
	check_redact("Authorization: Bearer eyJhbGc.x.y",
		     "Authorization: Bearer ****");
	check_redact("{\"access_token\":\"s3cr3t\",\"id\":1}",
		     "{\"access_token\":\"****\",\"id\":1}");
	check_redact("url?password=hunter2&user=bob",
		     "url?password=****&user=bob");
	check_redact("authentication failed: token rejected",
		     "authentication failed: token rejected");
	check_redact("", "");
}

static void
test_error__redacts_registered_secrets(void **state)
{
	(void)state;
	ps_log_clear_secrets();
	assert_int_equal(ps_log_add_secret("tok-XYZ-123"), 0);
	assert_int_equal(ps_log_add_secret("ab"), 0); /* too short: ignored */
	check_redact("sent tok-XYZ-123 twice tok-XYZ-123",
		     "sent **** twice ****");
	check_redact("ab stays", "ab stays");
	ps_error_set(PS_EAUTH, "token tok-XYZ-123 was refused");
	assert_string_equal(ps_error_last(), "token **** was refused");
	ps_log_clear_secrets();
}

static void
test_error__redact_never_overflows(void **state)
{
	char buf[16];

	(void)state;
	ps_log_clear_secrets();
	ps_util__strlcpy(buf, "token=a b c d e", sizeof(buf));
	ps_redact(buf, sizeof(buf));
	assert_string_equal(buf, "token=**** b c ");
	ps_util__strlcpy(buf, "token=a", sizeof(buf));
	ps_redact(buf, sizeof(buf));
	assert_string_equal(buf, "token=****");
}

/*
 * One credential-like name=value placed at offset off of a buffer of cap
 * bytes, cut as vsnprintf cuts (the last byte is the NUL): every offset
 * near the end, so the value ends one, two, three... bytes before the end
 * or is cut, and the four-byte mask is longer than what it replaces.  The
 * secret's letter 'Q' must be gone and the string must stay terminated
 * inside the buffer (ASan checks the rest).
 */
static void
redact_at(size_t cap, size_t off, const char *field)
{
	char src[8192], *buf;
	size_t n, i;

	assert_true(cap <= sizeof(src));
	buf = malloc(cap); /* exact size: ASan sees a byte past the end */
	assert_non_null(buf);
	memset(src, 'x', off);
	i = off;
	if (i > 0)
		src[i - 1] = ' ';
	n = strlen(field);
	if (i + n < sizeof(src) - 1) {
		memcpy(src + i, field, n);
		i += n;
	}
	src[i] = '\0';
	ps_util__strlcpy(buf, src, cap);
	ps_redact(buf, cap);
	n = strnlen(buf, cap);
	assert_true(n < cap);
	assert_null(strchr(buf, 'Q'));
	free(buf);
}

static void
test_error__redact_near_the_end_of_the_buffer(void **state)
{
	static const char *const fields[] = {
		"token=Q",
		"token=QQ",
		"token=QQQ",
		"token=QQQQQQQQQQ",
		"secret=Q&next=1",
		"password: Q",
		"api_key=\"Q\"",
		"\"access_token\":\"QQ\"",
		"Authorization: Bearer Q",
		"Bearer Q",
		"token=Q token=Q token=Q",
	};
	static const size_t caps[] = {PS_ERROR_MAX, 4096, 64, 17, 9, 2, 1};
	size_t c, f, off;

	(void)state;
	ps_log_clear_secrets();
	for (c = 0; c < PS__ARRAY_LEN(caps); c++)
		for (f = 0; f < PS__ARRAY_LEN(fields); f++)
			for (off = caps[c] > 48 ? caps[c] - 48 : 0;
			     off < caps[c] + 8; off++)
				redact_at(caps[c], off, fields[f]);
}

/* What the order did: a remote value of padding and then
 * "token=..." quoted in an error, cut at the end of the detail buffer. */
static void
test_error__redact_remote_value_at_the_end_of_the_detail(void **state)
{
	char value[1200];
	size_t pad;

	(void)state;
	ps_log_clear_secrets();
	for (pad = 900; pad < 1010; pad++) {
		memset(value, 'x', pad);
		ps_util__strlcpy(value + pad, " token=Q9", sizeof(value) - pad);
		ps_error_set(PS_EDATA,
			     "BigCommerce order 100: field 'total_inc_tax' is "
			     "\"%s\", not an amount",
			     value);
		assert_true(strlen(ps_error_last()) < PS_ERROR_MAX);
		assert_null(strchr(ps_error_last(), 'Q'));
		assert_non_null(strstr(ps_error_last(), "total_inc_tax"));
	}
}

static void
test_error__escape_shows_control_characters(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(ps_log_escape(out, sizeof(out), NULL), "");
	assert_string_equal(ps_log_escape(out, sizeof(out), "\x1b]0;t\x07"),
			    "\\x1b]0;t\\x07");
	assert_string_equal(ps_log_escape(out, sizeof(out), "a\tb\r\nc\x7f"),
			    "a\tb\\x0d\\x0ac\\x7f");
	/* UTF-8 text stays; C1 controls in UTF-8 and stray bytes do not */
	assert_string_equal(
		ps_log_escape(out, sizeof(out), "caf\xc3\xa9 \xe2\x82\xac"),
		"caf\xc3\xa9 \xe2\x82\xac");
	assert_string_equal(ps_log_escape(out, sizeof(out),
					  "\xc2\x9b"
					  "2J"),
			    "\\u009b2J");
	assert_string_equal(
		ps_log_escape(out, sizeof(out), "\x9b\xc3(\xed\xa0\x80"),
		"\\x9b\\xc3(\\xed\\xa0\\x80");
	/* cut before an escape or a character that does not fit */
	assert_string_equal(ps_log_escape(out, 6, "ab\x1b"), "ab");
	assert_string_equal(ps_log_escape(out, 7, "ab\x1b"), "ab\\x1b");
	assert_string_equal(ps_log_escape(out, 4, "ab\xc3\xa9"), "ab");
	assert_string_equal(ps_log_escape(out, 1, "abc"), "");
}

static void
test_error__log_lines_are_redacted_and_leveled(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	(void)state;
	assert_non_null(mem);
	ps_log_clear_secrets();
	ps_log_add_secret("supersecretvalue");
	ps_log_set_stream(mem);
	ps_log_set_level(PS_LOG_INFO);
	ps_log_info("test", "using supersecretvalue now");
	ps_log_debug("test", "dropped line");
	ps_log_set_stream(NULL);
	fclose(mem);
	assert_non_null(strstr(text, "info  test: using **** now"));
	assert_null(strstr(text, "supersecretvalue"));
	assert_null(strstr(text, "dropped line"));
	free(text);
	ps_log_clear_secrets();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error__strerror_covers_every_code),
		cmocka_unit_test(test_error__set_returns_code_and_keeps_detail),
		cmocka_unit_test(test_error__long_detail_is_cut),
		cmocka_unit_test(test_error__detail_is_per_thread),
		cmocka_unit_test(test_error__redacts_credential_fields),
		cmocka_unit_test(test_error__redacts_registered_secrets),
		cmocka_unit_test(test_error__redact_never_overflows),
		cmocka_unit_test(test_error__redact_near_the_end_of_the_buffer),
		cmocka_unit_test(
			test_error__redact_remote_value_at_the_end_of_the_detail),
		cmocka_unit_test(test_error__escape_shows_control_characters),
		cmocka_unit_test(
			test_error__log_lines_are_redacted_and_leveled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
