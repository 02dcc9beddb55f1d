/*
 * worker_int.h - declarations shared by the files of core/worker/ only.
 */
#ifndef PEARLSYNC_WORKER_INT_H
#define PEARLSYNC_WORKER_INT_H

#include <stddef.h>
#include <stdint.h>

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

typedef struct ps_listener ps_listener;

/*
 * ps_worker__listener_start - bind address:port (port 0: any free port)
 * and serve /webhooks/<platform>[/...] on one internal thread with its own
 * store connection on db_path: each delivery goes to that platform's
 * webhook_accept (platform.h) and what it decodes is stored as an event.
 * clock gives received_at (unix ms).  PS_EIO if the bind fails.
 */
int ps_worker__listener_start(ps_listener **out, const char *db_path,
			      const char *address, int port,
			      const ps_clock *clock);

/* The bound port. */
int ps_worker__listener_port(const ps_listener *l);

/* Stop the thread and free; NULL is fine. */
void ps_worker__listener_stop(ps_listener *l);

#endif
