/*
 * bigcommerce_int.h - what the BigCommerce connector's unit tests reach
 * that callers do not: the date codecs and a transport seam that replaces
 * ps_http_send() so requests are asserted and replies scripted in process.
 */
#ifndef PEARLSYNC_BIGCOMMERCE_INTERNAL_H
#define PEARLSYNC_BIGCOMMERCE_INTERNAL_H

#include <stdint.h>

#include "pearlsync/bigcommerce.h"
#include "pearlsync/http.h"

/*
 * ps_bc__send_fn - stands in for ps_http_send(); same contract.  *out is
 * PS_HTTP_RESPONSE_INIT; whatever it fills is released with
 * ps_http_response_dispose(), so body and headers are malloc'd.
 */
typedef int (*ps_bc__send_fn)(void *ctx, ps_http_response *out,
			      const ps_http_request *req);

/* ps_bc__set_transport - route bc's requests to fn (NULL: ps_http_send). */
void ps_bc__set_transport(ps_bc *bc, ps_bc__send_fn fn, void *ctx);

/*
 * ps_bc__date_parse_rfc2822 - "Tue, 05 Mar 2019 21:40:11 +0000" (weekday
 * optional, seconds optional, zone +hhmm/-hhmm/GMT/UT/Z) into Unix seconds.
 * Returns 0 or PS_EPARSE.
 */
int ps_bc__date_parse_rfc2822(int64_t *out, const char *text);

/*
 * ps_bc__date_parse_iso8601 - "2019-03-05T21:40:11Z", with optional
 * fraction, zone "+hh:mm"/"+hhmm"/"Z" or none (UTC), or a bare date.
 * Returns 0 or PS_EPARSE.
 */
int ps_bc__date_parse_iso8601(int64_t *out, const char *text);

/* ps_bc__date_format_rfc2822 - Unix seconds as "Tue, 05 Mar 2019 ... +0000"
 * into buf (cap >= 32). */
void ps_bc__date_format_rfc2822(char *buf, size_t cap, int64_t t);

#endif
