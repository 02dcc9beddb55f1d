/*
 * report.h - the daily e-mail report: what the flows did, by platform pair.
 *
 * The report is built from the sync log alone (store.h): for each pair of
 * platforms that has flows, each flow's synced / failed / pending counts
 * over a period, then the failed entries with their reasons and the
 * pending ones waiting for the operator, each list capped ("... and 12
 * more").  Rows are streamed from the store and only what is printed is
 * kept, so the size of the log does not matter.
 *
 * The message is plain UTF-8 text with RFC 5322 headers and CRLF line
 * ends, lines of at most 78 characters where a word allows it.  It is sent
 * through libcurl's SMTP (smtp:// or smtps://, STARTTLS required when
 * report.starttls is on, AUTH when report.smtp_user is set) to every
 * address in report.recipients.
 *
 * The worker sends it once a day at report.hour (local time): the time of
 * the last successful send is kept in the store (cursor "report.last_sent"),
 * so a restart does not send twice and a worker that was down at that hour
 * sends once when it starts.  A failed send is logged with its reason and
 * tried again at a later tick, with a backoff.
 *
 * Time: every `now` and `since` is unix MILLISECONDS from the caller; the
 * hour of the day is local time (the TZ environment variable).
 */
#ifndef PEARLSYNC_REPORT_H
#define PEARLSYNC_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/flow.h"
#include "pearlsync/store.h"

/* Failed (and pending) entries listed per flow before "and N more". */
#define PS_REPORT_MAX_LISTED 10
/* A reason is cut to this many bytes (then escaped and wrapped). */
#define PS_REPORT_REASON_MAX 400
/* The whole message never grows past this (PS_ETOOBIG). */
#define PS_REPORT_MAX_BYTES ((size_t)1024 * 1024)
/* The store cursor holding the time (ms, decimal) of the last send. */
#define PS_REPORT_CURSOR "report.last_sent"
/* The period of a first report (nothing sent before). */
#define PS_REPORT_DAY_MS ((int64_t)24 * 3600 * 1000)

/* What to report on and whom to address; start from PS_REPORT_OPTIONS_INIT. */
typedef struct ps_report_options {
	int64_t since; /* ms: entries updated at or after this */
	int64_t now;   /* ms: the end of the period and the Date header */
	/* The From address, or NULL: no From header (a dry run). */
	const char *from;
	/* The To addresses, comma-separated, or NULL: no To header. */
	const char *recipients;
	/* The subject's "(...)": shop or host name.  NULL: the host name. */
	const char *site;
	/* Entries listed per flow and status; 0: PS_REPORT_MAX_LISTED. */
	size_t max_listed;
	/* The flows, NULL-terminated.  NULL: ps_flows_all(). */
	const ps_flow_ops *const *flows;
} ps_report_options;

#define PS_REPORT_OPTIONS_INIT                                                 \
	{                                                                      \
		0, 0, NULL, NULL, NULL, 0, NULL                                \
	}

/*
 * ps_report_build - the whole message (headers, blank line, body; CRLF
 * line ends; NUL-terminated) into *out (caller frees).  *out_synced and
 * *out_failed (each may be NULL) receive the totals the subject names.
 * Reasons are escaped (ps_log_escape: control characters shown as \x1b,
 * valid UTF-8 kept) and redacted.  Returns 0, PS_EINVAL, PS_ENOMEM,
 * PS_ETOOBIG or a store error; *out is NULL on failure.
 */
int ps_report_build(char **out, int64_t *out_synced, int64_t *out_failed,
		    ps_store *st, const ps_report_options *o);

/* The SMTP settings (report.*), as loaded by ps_report_smtp_load. */
typedef struct ps_report_smtp {
	char *url;           /* owned: "smtp://host:587", "smtps://host:465" */
	int starttls;        /* require STARTTLS (CURLUSESSL_ALL) */
	char *user;          /* owned, NULL: no AUTH */
	char *password;      /* owned, NULL: none (a secret: never logged) */
	char *from;          /* owned */
	char *recipients;    /* owned, comma-separated */
	const char *ca_file; /* borrowed, NULL: the system bundle */
	long connect_timeout_ms;
	long timeout_ms; /* the whole conversation */
} ps_report_smtp;

/*
 * ps_report_smtp_load - the report.* settings into *out (initialised
 * here; ps_report_smtp_dispose frees it even on failure).  ca_file is
 * borrowed (NULL or "": the system bundle).  PS_ESETTING naming the
 * setting when the server, sender or recipients are not set.
 */
int ps_report_smtp_load(ps_report_smtp *out, ps_store *st, const char *ca_file);

/* ps_report_smtp_dispose - free the strings and zero *s; NULL is fine. */
void ps_report_smtp_dispose(ps_report_smtp *s);

/*
 * ps_report_send - send message (as from ps_report_build) by SMTP: MAIL
 * FROM s->from, one RCPT TO per recipient.  The conversation is logged at
 * debug level with the AUTH exchange masked.  Returns 0, or PS_EAUTH
 * (login refused), PS_ENET (cannot connect), PS_ETIMEOUT, PS_ETLS (no
 * STARTTLS, certificate), PS_EREMOTE (the server refused: the detail has
 * its reply code), PS_EINVAL, PS_ENOMEM.
 */
int ps_report_send(const ps_report_smtp *s, const char *message);

/*
 * ps_report_last_sent - the time (ms) of the last successful send into
 * *out, 0 when none.  Returns 0 or a store error.
 */
int ps_report_last_sent(int64_t *out, ps_store *st);

/*
 * ps_report_run - build the report of [since, now] and, when send is
 * non-zero, send it with the stored settings and record now as the last
 * send.  since 0: from the last send, or the last 24 hours when there was
 * none.  *out_message (may be NULL) receives the message (caller frees),
 * sent or not.  Returns 0 or the error of the step that failed (the detail
 * says which).
 */
int ps_report_run(char **out_message, ps_store *st, const char *ca_file,
		  int64_t since, int64_t now, int send);

/*
 * ps_report_slot - the latest time (ms) at or before now that is hour:00
 * local time (hour 0..23): the moment the report of that day is due.
 */
int64_t ps_report_slot(int64_t now, int hour);

/* The worker's state between ticks; start from PS_REPORT_TIMER_INIT. */
typedef struct ps_report_timer {
	int64_t next_try; /* ms: no attempt before this (after a failure) */
	int failures;     /* failed attempts in a row */
} ps_report_timer;

#define PS_REPORT_TIMER_INIT                                                   \
	{                                                                      \
		0, 0                                                           \
	}

/* Wait after the n-th failure in a row: 1 min doubling, at most 1 h. */
#define PS_REPORT_RETRY_BASE_MS ((int64_t)60 * 1000)
#define PS_REPORT_RETRY_CAP_MS ((int64_t)3600 * 1000)

/*
 * ps_report_tick - what the worker calls each tick: when report.enabled
 * is on, the day's slot (ps_report_slot at report.hour) has passed since
 * the last send and no retry wait is running, build and send the report.
 * Failures are logged (warn) with the reason and the next attempt time.
 * Returns 1 when a report was sent, 0 when none was due, or the error of a
 * failed attempt.
 */
int ps_report_tick(ps_report_timer *t, ps_store *st, const char *ca_file,
		   int64_t now);

#endif
