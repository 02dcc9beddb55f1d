/*
 * fuzz_support.c - the harnesses' shared helpers (see fuzz.h).
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/common.h"
#include "pearlsync/log.h"

void
fuzz_quiet(void)
{
	static FILE *sink;

	if (sink == NULL) {
		sink = fopen("/dev/null", "w");
		ps_log_set_stream(sink);
		ps_log_set_level(PS_LOG_DEBUG); /* every line is formatted */
	}
}

char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

void
fuzz_script_init(fuzz_script *s, const uint8_t *data, size_t size)
{
	s->data = data;
	s->size = size;
	s->at = 0;
	s->requests = 0;
}

/* "HTTP nnn\n" at the start of p (n bytes): the status, else 0. */
static long
piece_status(const uint8_t *p, size_t n, size_t *skip)
{
	long st = 0;
	size_t i;

	if (n < 9 || memcmp(p, "HTTP ", 5) != 0)
		return 0;
	for (i = 5; i < 8; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		st = st * 10 + (p[i] - '0');
	}
	if (p[8] != '\n' || st < 100)
		return 0;
	*skip = 9;
	return st;
}

int
fuzz_send(void *ctx, ps_http_response *out, const ps_http_request *req)
{
	fuzz_script *s = ctx;
	const uint8_t *p, *end;
	size_t n, skip = 0;
	long status;

	(void)req;
	if (++s->requests > FUZZ_MAX_REQUESTS)
		return ps_error_set(PS_ENET, "fuzz: too many requests");
	out->attempts = 1;
	if (s->at >= s->size) {
		out->status = 204;
		out->body = fuzz_cstr(NULL, 0);
		out->body_len = 0;
		return 0;
	}
	p = s->data + s->at;
	end = memchr(p, '\0', s->size - s->at);
	n = end ? (size_t)(end - p) : s->size - s->at;
	s->at += n + 1;
	status = piece_status(p, n, &skip);
	out->status = status ? status : 200;
	out->body = fuzz_cstr(p + skip, n - skip);
	out->body_len = n - skip;
	/* what ps_http_send returns for these statuses (http.h) */
	if (out->status == 401 || out->status == 403)
		return ps_error_set(PS_EAUTH, "fuzz: %ld", out->status);
	if (out->status == 429)
		return ps_error_set(PS_ERATELIMIT, "fuzz: 429");
	if (out->status >= 500)
		return ps_error_set(PS_EREMOTE, "fuzz: %ld", out->status);
	if (out->status < 200 || (out->status >= 300 && out->status < 400))
		return ps_error_set(PS_EHTTP, "fuzz: %ld", out->status);
	return 0;
}
