/*
 * error.c - the error code table and the thread-local last error.
 *
 * The detail is a fixed buffer per thread so that setting an error never
 * allocates (and so never fails) on an out-of-memory path.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sqlite3.h>

static _Thread_local char last_detail[PS_ERROR_MAX];
static _Thread_local int last_code;

const char *
ps_strerror(int code)
{
	switch (code) {
#define PS__ERROR_TEXT(name, value, text)                                      \
	case value:                                                            \
		return text;
		PS_ERROR_CODES(PS__ERROR_TEXT)
#undef PS__ERROR_TEXT
	}
	return "unknown error";
}

const char *
ps_error_name(int code)
{
	switch (code) {
#define PS__ERROR_NAME(name, value, text)                                      \
	case value:                                                            \
		return #name;
		PS_ERROR_CODES(PS__ERROR_NAME)
#undef PS__ERROR_NAME
	}
	return "PS_E?";
}

int
ps_error_vset(int code, const char *fmt, va_list ap)
{
	last_code = code;
	if (fmt == NULL) {
		last_detail[0] = '\0';
		return code;
	}
	vsnprintf(last_detail, sizeof(last_detail), fmt, ap);
	ps_redact(last_detail, sizeof(last_detail));
	return code;
}

int
ps_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ps_error_vset(code, fmt, ap);
	va_end(ap);
	return code;
}

const char *
ps_error_last(void)
{
	if (last_detail[0] != '\0')
		return last_detail;
	return ps_strerror(last_code);
}

int
ps_error_last_code(void)
{
	return last_code;
}

void
ps_error_clear(void)
{
	last_code = 0;
	last_detail[0] = '\0';
}

static int lib_initialised;

int
ps_lib_init(void)
{
	if (lib_initialised)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ps_error_set(PS_ERROR, "libcurl failed to initialise");
	if (sqlite3_initialize() != SQLITE_OK) {
		curl_global_cleanup();
		return ps_error_set(PS_ESTORE, "SQLite failed to initialise");
	}
	lib_initialised = 1;
	return 0;
}

void
ps_lib_shutdown(void)
{
	if (!lib_initialised)
		return;
	curl_global_cleanup();
	sqlite3_shutdown();
	lib_initialised = 0;
}

char *
ps_util__strdup(const char *s)
{
	size_t n;
	char *p;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	p = malloc(n);
	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

size_t
ps_util__strlcpy(char *dst, const char *src, size_t cap)
{
	size_t n = strlen(src);

	if (cap > 0) {
		size_t k = n < cap - 1 ? n : cap - 1;
		memcpy(dst, src, k);
		dst[k] = '\0';
	}
	return n;
}

int
ps_util__error_wrap(int code, const char *fmt, ...)
{
	/* the detail lives in the buffer about to be written: copy it */
	char inner[PS_ERROR_MAX], prefix[512];
	va_list ap;

	ps_util__strlcpy(inner, ps_error_last(), sizeof(inner));
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	return ps_error_set(code, "%s: %s", prefix, inner);
}
