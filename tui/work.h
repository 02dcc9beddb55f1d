/*
 * work.h - work the console does on a thread of its own while the
 * operator keeps the keys: a connection test, a refresh of the lists, a
 * tested save (model_setup.c), a product search (screen_mappings.c).
 *
 * A job gets its own database connection (cfg->db_path) and HTTP client
 * (http_opts, whose cancel flag the job sets when abandoned), so the
 * console's thread never waits for a platform; the screen polls it from
 * its timer (ps_tui_busy) and draws ps_tui_work_draw's line meanwhile.
 */
#ifndef PEARLSYNC_TUI_WORK_H
#define PEARLSYNC_TUI_WORK_H

#include <stddef.h>

#include "pearlsync/config.h"
#include "pearlsync/http.h"
#include "pearlsync/store.h"

typedef struct ps_tui_job ps_tui_job;

/*
 * What a job does, on its thread: st and http are the job's own; msg
 * (cap bytes) receives its one-line outcome.  Returns 0 or a negative
 * PS_E*.
 */
typedef int (*ps_tui_job_fn)(ps_tui_job *j, void *arg, ps_store *st,
			     const ps_config *cfg, ps_http *http, char *msg,
			     size_t cap);

/*
 * ps_tui_job_start - run fn(arg) on a thread; what ("testing the
 * Brightpearl connection") names it on the working line.  arg is the
 * job's from now on: free_arg (may be NULL) frees it with the job, also
 * when start fails.  PS_EINVAL when cfg names no database, PS_ENOMEM.
 */
int ps_tui_job_start(ps_tui_job **out, const ps_config *cfg,
		     const ps_http_options *http_opts, const char *what,
		     ps_tui_job_fn fn, void *arg, void (*free_arg)(void *));

/* ps_tui_job_what - what it does (borrowed). */
const char *ps_tui_job_what(const ps_tui_job *j);

/*
 * ps_tui_job_poll - 1 when it finished, with fn's result in *out_code and
 * its outcome in msg; else 0.  The job's arg then holds what fn left
 * there (ps_tui_job_arg).
 */
int ps_tui_job_poll(ps_tui_job *j, int *out_code, char *msg, size_t cap);

/* ps_tui_job_arg - the arg given to start (read it after poll said 1). */
void *ps_tui_job_arg(ps_tui_job *j);

/*
 * ps_tui_job_commit - on the job's thread: run commit(arg) unless the
 * job was abandoned, holding off an abandon meanwhile (a save writes
 * nothing once cancelled).  Returns commit's result, or code unchanged
 * when abandoned.
 */
int ps_tui_job_commit(ps_tui_job *j, int code, int (*commit)(void *arg));

/*
 * ps_tui_job_abandon - the operator cancelled: forget j (the handle is
 * invalid after).  The HTTP client stops at its next wait; a request
 * already on the wire ends on the job's thread, which then frees j; its
 * outcome is dropped.
 */
void ps_tui_job_abandon(ps_tui_job *j);

/* ps_tui_job_free - free a finished job (NULL is fine). */
void ps_tui_job_free(ps_tui_job *j);

struct ps_tui;

/*
 * ps_tui_job_draw - the working line at body row while j runs (NULL:
 * nothing): "Working... <what> (Esc cancels)".  Draw slots only.
 */
void ps_tui_job_draw(struct ps_tui *tui, int row, const ps_tui_job *j);

#endif
