/*
 * model_setup.h - the setup steps of the operator console, without curses.
 *
 * The steps come from the registries: a Connections step from the
 * platforms' connection fields, then the steps of each flow group (the
 * order the peer integration guides walk a merchant through).  Each step
 * is a static list of fields (a setting, a pick from values fetched from
 * the platforms, a mapping table, an action) and a status computed from
 * the store: done, or needs attention with the reason.
 *
 * Values offered in drop-downs are the platforms' real values (statuses,
 * warehouses, channels, ...), fetched through the connectors and kept in
 * the store's cache table under the names listed below, so the console
 * works offline once fetched and a refresh action fetches them again.
 * Every change goes through the store's setters with the actor "console",
 * so the settings history records it and it can be rolled back.  A value
 * that is not in the cached list (a warehouse since deleted) is refused
 * with a message; without a cached list any well-formed value is taken.
 *
 * Secrets are never returned in clear by this module: display values of
 * secret settings are masked.
 */
#ifndef PEARLSYNC_TUI_MODEL_SETUP_H
#define PEARLSYNC_TUI_MODEL_SETUP_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/config.h"
#include "pearlsync/http.h"
#include "pearlsync/platform.h"
#include "pearlsync/setup.h"
#include "pearlsync/store.h"
#include "work.h"

/* The actor recorded in the settings history for console changes. */
#define PS_SETUP_ACTOR "console"

/*
 * A step is its place in the walk-through: Connections first (every
 * registered platform that connects: its fields, then a test action),
 * then every flow group's steps in registry order (pearlsync/setup.h).
 */
typedef size_t ps_setup_step;
#define PS_SETUP_CONNECTIONS ((ps_setup_step)0)

/* The most steps the console shows (arrays sized by it). */
#define PS_SETUP_STEP_MAX 32

/* ps_setup_step_count - how many steps there are (<= PS_SETUP_STEP_MAX). */
size_t ps_setup_step_count(void);

/* ps_setup_step_title - "Connections", ... (static); NULL past the end. */
const char *ps_setup_step_title(ps_setup_step step);

/* ps_setup_step_help - one line saying what the step is for (static). */
const char *ps_setup_step_help(ps_setup_step step);

/* ps_setup_field_count / ps_setup_field_at - a step's fields in order
 * (static; NULL past the end). */
size_t ps_setup_field_count(ps_setup_step step);
const ps_setup_field *ps_setup_field_at(ps_setup_step step, size_t i);

/*
 * ps_setup_step_check - whether step is complete: *out_done 1 (done) or 0
 * (needs attention), and the reason into why (cap bytes; "" when done).
 * Reads settings, mappings, cached lists and the last connection tests.
 * Returns 0 or a negative PS_E* on a store error.
 */
int ps_setup_step_check(int *out_done, char *why, size_t cap, ps_store *st,
			ps_setup_step step);

/* ------------------------------------------------------------------------ */
/* Cached lists                                                              */

typedef struct ps_setup_choice {
	char *id;   /* the stored value (owned) */
	char *name; /* what the operator reads (owned) */
} ps_setup_choice;

typedef struct ps_setup_choices {
	ps_setup_choice *items; /* owned */
	size_t n;
	int64_t fetched_at; /* ms, 0 when never fetched */
} ps_setup_choices;

/*
 * ps_setup_choices_load - the cached list kind into *out (initialised by
 * the call; caller disposes).  A list never fetched is empty with
 * fetched_at 0 (not an error).  PS_ESTORE/PS_ENOMEM; PS_EINVAL when the
 * cached text is not a list of {id, name}.
 */
int ps_setup_choices_load(ps_setup_choices *out, ps_store *st,
			  const char *kind);

/* ps_setup_choices_dispose - free c's items and zero it; NULL ok. */
void ps_setup_choices_dispose(ps_setup_choices *c);

/* ps_setup_choices_find - the item whose id (or name when by_name) is
 * value (borrowed), or NULL. */
const ps_setup_choice *ps_setup_choices_find(const ps_setup_choices *c,
					     const char *value, int by_name);

/* ------------------------------------------------------------------------ */
/* Reading and writing fields                                                */

/*
 * ps_setup_field_display - the field's current value as shown into buf
 * (cap bytes): secrets "********" (or "(not set)"), picks "7 Main
 * warehouse" with the cached name, mappings "3 rows, default X", the
 * last test result for actions.  Returns 0 or a negative PS_E*.
 */
int ps_setup_field_display(char *buf, size_t cap, ps_store *st,
			   const ps_setup_field *f);

/*
 * ps_setup_field_get - the raw stored value of a setting field into *out
 * (caller frees; the catalogue default applies; NULL when unset).  For a
 * secret it is the secret: only for filling a connector, never to show.
 * A URL field with a word_url yields the word when the URL is the
 * pattern's, else the URL.  PS_EINVAL for a field without a setting.
 */
int ps_setup_field_get(char **out, ps_store *st, const ps_setup_field *f);

/*
 * ps_setup_field_set - set the field to value (NULL or "" unsets it) with
 * actor "console".  Refused with PS_EINVAL and an operator message when:
 * the field is required and value is empty ("a default warehouse is
 * required"); a PICK value is not in the cached list ("warehouse 9 is not
 * in the list fetched from the platform"); the catalogue rejects it.
 * A URL field with a word_url takes a bare word ("euw1": the pattern's
 * URL) or a full URL.  Nothing is written on refusal.
 */
int ps_setup_field_set(ps_store *st, const ps_setup_field *f, const char *value,
		       int64_t now);

/*
 * ps_setup_field_check - whether ps_setup_field_set would take value,
 * writing nothing: 0, or PS_EINVAL with the operator's message.
 */
int ps_setup_field_check(ps_store *st, const ps_setup_field *f,
			 const char *value);

/* ------------------------------------------------------------------------ */
/* Talking to the platforms                                                  */

/*
 * ps_setup_test_connection - one cheap authenticated call (the plug-in's
 * check, through its connect) to platform with the stored settings; the
 * one-line outcome ("OK: <title> account Sandbox", "authentication
 * failed: ...", "not configured: ...") goes into msg (cap bytes, secrets
 * redacted) and is remembered in the cache for the step status.  Returns
 * 0 when connected, else the PS_E* of the failure; PS_EINVAL for a
 * platform that cannot connect.
 */
int ps_setup_test_connection(char *msg, size_t cap, ps_store *st,
			     const ps_config *cfg, ps_http *http,
			     ps_platform platform, int64_t now);

/*
 * ps_setup_refresh - every registered platform that connects and has
 * lists fetches them (lists_fetch), replacing the cached copies; a list
 * that fails keeps its old copy.  msg (cap bytes) says what each did,
 * "8 lists fetched from <title>; ...".  Returns the first failure.
 */
int ps_setup_refresh(char *msg, size_t cap, ps_store *st, const ps_config *cfg,
		     ps_http *http, int64_t now);

/* ------------------------------------------------------------------------ */
/* Credentials tested before they are saved                                  */

/*
 * ps_setup_field_needs_test - 1 when f is a connection setting of a
 * platform that can test its connection (a token, an account, a base
 * URL): changing it is tested before it is saved.
 */
int ps_setup_field_needs_test(const ps_setup_field *f);

/*
 * ps_setup_field_try - the connection test as it would go with f set to
 * value, writing nothing of value: the platform's settings and value are
 * put in a scratch database (a 0700 temporary directory, removed after),
 * the plug-in connects to it and checks.  msg (cap bytes, secrets
 * redacted) gets the outcome as ps_setup_test_connection's.  *out_tested
 * is 1 when the platform was asked, 0 when value was refused before (the
 * error says why), -1 when it cannot be tested yet: the platform's other
 * fields are missing (PS_ESETTING/PS_EINVAL).  A token the platform
 * rotated while connecting (OAuth) is copied back to st.  Returns 0 when
 * the platform took the credentials.
 */
int ps_setup_field_try(char *msg, size_t cap, int *out_tested, ps_store *st,
		       const ps_config *cfg, ps_http *http,
		       const ps_setup_field *f, const char *value, int64_t now);

/*
 * ps_setup_field_save - set a field as the form does: a connection
 * setting is tried first (ps_setup_field_try) and saved only when the
 * platform took it, or when it cannot be tested yet (the other fields are
 * missing); the test is then remembered as passed.  Any other field is
 * set at once.  On a failed test nothing is written and the error (also
 * in msg) is returned: the caller may offer to save anyway
 * (ps_setup_field_set).  msg says what happened.
 */
int ps_setup_field_save(char *msg, size_t cap, ps_store *st,
			const ps_config *cfg, ps_http *http,
			const ps_setup_field *f, const char *value,
			int64_t now);

/* ------------------------------------------------------------------------ */
/* Work on a thread of its own                                               */

/*
 * What the console does while the operator keeps the keys: a connection
 * test, a refresh of the lists, a tested save.  A job runs on a thread
 * with its own database connection (cfg->db_path) and HTTP client
 * (http_opts, whose cancel flag the job sets), so the console's thread
 * never waits for a platform.  The console polls it from its timer.
 */
typedef enum ps_setup_job_kind {
	PS_SETUP_JOB_TEST,    /* ps_setup_test_connection(platform) */
	PS_SETUP_JOB_REFRESH, /* ps_setup_refresh */
	PS_SETUP_JOB_SAVE,    /* ps_setup_field_save(f, value) */
} ps_setup_job_kind;

/* A setup job is a console job (work.h): ps_tui_job_what, _poll,
 * _abandon and _free apply. */
typedef ps_tui_job ps_setup_job;

/*
 * ps_setup_job_start - start one (f and value only for a save; f must be
 * a static field, value is copied and wiped when done).  PS_EINVAL when
 * cfg names no database, PS_ENOMEM.  An abandoned save writes nothing.
 */
int ps_setup_job_start(ps_setup_job **out, const ps_config *cfg,
		       const ps_http_options *http_opts, ps_setup_job_kind kind,
		       ps_platform platform, const ps_setup_field *f,
		       const char *value, int64_t now);

#endif
