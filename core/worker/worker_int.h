/*
 * worker_int.h - declarations shared by the files of core/worker/ only.
 */
#ifndef PEARLSYNC_WORKER_INT_H
#define PEARLSYNC_WORKER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/bigcommerce.h"
#include "pearlsync/http.h"
#include "pearlsync/store.h"

/* Largest webhook body the listener accepts. */
#define PS_WORKER__MAX_BODY ((size_t)256 * 1024)

/*
 * What one client may hold of the listener (see listener.c): connections
 * open at once from one address and in all, seconds a connection may stay
 * silent (headers or body), and milliseconds the whole body may take once
 * the headers are in.  A platform's delivery is one small request that
 * completes in milliseconds; these bound what an idle or slow client costs.
 */
#define PS_WORKER__LISTEN_PER_IP 32u
#define PS_WORKER__LISTEN_MAX_CONNECTIONS 256u
#define PS_WORKER__LISTEN_IDLE_TIMEOUT_S 5u
#define PS_WORKER__LISTEN_BODY_DEADLINE_MS 10000

/* The header pearlsync asks BigCommerce to send with every callback. */
#define PS_WORKER__SECRET_HEADER "X-Pearlsync-Secret"

/* Accepted Standard Webhooks timestamp skew, seconds. */
#define PS_WORKER__SIGNATURE_TOLERANCE_S 300

typedef struct ps_listener ps_listener;

/*
 * ps_worker__listener_start - bind address:port (port 0: any free port)
 * and serve the webhook routes on one internal thread with its own store
 * connection on db_path.  clock gives received_at (unix ms).
 * bc_client_secret (may be NULL) is the key of Standard Webhooks
 * signatures; the string is copied.  PS_EIO if the bind fails.
 */
int ps_worker__listener_start(ps_listener **out, const char *db_path,
			      const char *address, int port,
			      const ps_clock *clock,
			      const char *bc_client_secret);

/* The bound port. */
int ps_worker__listener_port(const ps_listener *l);

/* Stop the thread and free; NULL is fine. */
void ps_worker__listener_stop(ps_listener *l);

/*
 * ps_worker__hooks_sync - make sure BigCommerce has an active hook for
 * each order scope with destination public_url + "/webhooks/bigcommerce"
 * and the secret header: create missing ones, re-activate deactivated
 * ones.  *out_changed (may be NULL) receives how many were created or
 * re-activated.  With st (may be NULL) the state left is recorded as cache
 * "bc.webhooks" (see hooks.c), stamped now, even when a later step failed.
 */
int ps_worker__hooks_sync(size_t *out_changed, ps_bc *bc,
			  const char *public_url, const char *secret,
			  ps_store *st, int64_t now);

/* The order scopes the listener accepts and the worker registers. */
extern const char *const ps_worker__bc_scopes[];

/* SHA-256 and HMAC-SHA256 (out: 32 bytes). */
void ps_worker__sha256(unsigned char out[32], const void *data, size_t len);
void ps_worker__hmac_sha256(unsigned char out[32], const void *key,
			    size_t key_len, const void *const *parts,
			    const size_t *lens, size_t nparts);

/*
 * ps_worker__base64_encode - standard base64 with padding of n bytes into
 * out (cap bytes, NUL-terminated).  Returns the length or -1 if it does
 * not fit.
 */
int ps_worker__base64_encode(char *out, size_t cap, const unsigned char *in,
			     size_t n);

/* ps_worker__secure_equal - 1 if a and b are equal, constant time in the
 * length of b. */
int ps_worker__secure_equal(const char *a, size_t alen, const char *b,
			    size_t blen);

#endif
