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
		cmocka_unit_test(test_error__log_lines_are_redacted_and_leveled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
