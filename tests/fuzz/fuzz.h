/*
 * fuzz.h - what the libFuzzer harnesses in tests/fuzz/ share: a quiet
 * log, a NUL-terminated copy of the input, and a scripted transport that
 * serves the input as the platform's replies.
 *
 * Reply script: the input is cut at each NUL byte (JSON never holds a raw
 * NUL) into replies, served in order, one per request; a piece may start
 * with "HTTP nnn\n" to choose its status (else 200).  Past the last piece
 * every request gets 204 with an empty body, which ends any pagination,
 * and after FUZZ_MAX_REQUESTS requests the transport fails with PS_ENET,
 * so no harness can loop.
 */
#ifndef PEARLSYNC_FUZZ_H
#define PEARLSYNC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/http.h"

#define FUZZ_MAX_REQUESTS 64

typedef struct fuzz_script {
	const uint8_t *data;
	size_t size;
	size_t at;    /* offset of the next piece */
	int requests; /* served so far */
} fuzz_script;

/* fuzz_quiet - send log lines to /dev/null (once). */
void fuzz_quiet(void);

/* fuzz_cstr - data as a new NUL-terminated string (malloc; abort on
 * failure: this is a harness). */
char *fuzz_cstr(const uint8_t *data, size_t size);

/* fuzz_script_init - a script over data (borrowed). */
void fuzz_script_init(fuzz_script *s, const uint8_t *data, size_t size);

/* fuzz_send - a ps_bp_send_fn / ps_bc__send_fn over a fuzz_script. */
int fuzz_send(void *ctx, ps_http_response *out, const ps_http_request *req);

#endif
