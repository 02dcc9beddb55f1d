/*
 * sandbox_ctl.h - small helpers for tests that drive pearlsync-sandbox's
 * control API and run a worker with its webhook listener: a control call
 * that must succeed, and a free loopback port for the listener.
 * Failures are cmocka assertion failures.
 */
#ifndef PEARLSYNC_TEST_SANDBOX_CTL_H
#define PEARLSYNC_TEST_SANDBOX_CTL_H

#include <jansson.h>

#include "sandbox_proc.h"

/*
 * sandbox_ctl - method on the control path (e.g. "/brightpearl/state",
 * relative to sp->control) with body (JSON text or NULL); fails the test
 * unless the reply is 2xx JSON.  Returns the reply (new reference; an
 * empty body is {}).
 */
json_t *sandbox_ctl(const sandbox_proc *sp, const char *method,
		    const char *path, const char *body);

/* sandbox_ctl_ok - sandbox_ctl, reply dropped. */
void sandbox_ctl_ok(const sandbox_proc *sp, const char *method,
		    const char *path, const char *body);

/* sandbox_free_port - a loopback TCP port free at the time of the call. */
int sandbox_free_port(void);

#endif
