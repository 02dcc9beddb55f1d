/*
 * audit.h - the per-record audit trail kept in the store.
 *
 * Everything that happened to one record (an order, across every flow and
 * platform that touched it) as a timeline: the events the platforms sent
 * about it, the log entries recorded for it, every attempt at each entry
 * (flow, start and end, outcome, reason, and the settings version in
 * force), a summary of each HTTP request the attempt made (method, path,
 * status, duration, bytes; never a body, a query string or a header), the
 * operator's requests about it and each entry's outcome.
 *
 * The worker writes it through one choke point: an attempt is opened
 * before a flow performs an entry and closed with its outcome; the HTTP
 * client's per-request observer adds the requests made meanwhile; the
 * events are recorded as the worker hands them to the flows; the store
 * records the operator's retries.  Rows are kept for ever unless the
 * setting log.audit_keep_days prunes them (the worker, daily).
 *
 * Time: unix milliseconds from the caller, as everywhere in the store.
 * Threads: as the store (one ps_store, one thread at a time).
 */
#ifndef PEARLSYNC_AUDIT_H
#define PEARLSYNC_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/common.h"
#include "pearlsync/store.h"

typedef enum ps_audit_kind {
	PS_AUDIT_EVENT = 1, /* a platform announced a change (webhook) */
	PS_AUDIT_RECORDED,  /* a log entry was recorded (poll or event) */
	PS_AUDIT_ATTEMPT,   /* the worker performed an entry once */
	PS_AUDIT_REQUEST,   /* one HTTP request of an attempt */
	PS_AUDIT_OPERATOR,  /* an operator's request about an entry */
	PS_AUDIT_OUTCOME    /* where an entry stands now */
} ps_audit_kind;

/* ps_audit_kind_name - "event", "recorded", ...; "?" for others. */
const char *ps_audit_kind_name(ps_audit_kind k);

/*
 * One step of a timeline.  Rows of kind RECORDED and OUTCOME are read
 * from the sync log itself (id 0); the others are audit rows.  Strings
 * are owned by the row ("" rather than NULL).
 */
typedef struct ps_audit_row {
	int64_t id; /* audit row id; 0: built from the log */
	ps_audit_kind kind;
	int64_t at;               /* ms: when it happened or started */
	int64_t ended_at;         /* ATTEMPT: ms it ended; 0 never (killed) */
	int64_t entry_id;         /* the log entry; 0 none (EVENT) */
	int64_t attempt_id;       /* REQUEST: its attempt's row id; ATTEMPT:
				     the batch's first attempt, 0 alone */
	int attempt;              /* ATTEMPT: its number since insert/retry */
	ps_platform platform;     /* EVENT: sender; REQUEST: called; others:
				     the entry's source platform */
	char *flow;               /* the entry's flow */
	char *what;               /* EVENT topic; RECORDED/OUTCOME entry kind;
				     OPERATOR request ("retry"); REQUEST method */
	char *ref;                /* EVENT "object id"; RECORDED subject;
				     REQUEST path; ATTEMPT/OUTCOME target id */
	char *outcome;            /* ATTEMPT "synced", "failed", "waiting",
				     "interrupted", "in flight"; OUTCOME entry status */
	char *reason;             /* ATTEMPT/OUTCOME why (redacted) */
	int64_t settings_version; /* ATTEMPT: version in force; -1 unknown */
	long status;              /* REQUEST: HTTP status; 0 no response */
	int64_t duration_ms;      /* REQUEST, ATTEMPT */
	int64_t bytes;            /* REQUEST: bytes sent + received (bodies) */
} ps_audit_row;

/* ps_audit_rows_free - free n rows and the array; NULL is fine. */
void ps_audit_rows_free(ps_audit_row *rows, size_t n);

/*
 * ps_audit_row_describe - one line for people into buf (always
 * terminated), without the time: "attempt 2 of entry 5 (order_import_bc)
 * failed after 120 ms under settings v7: ...".  Returns buf.
 */
char *ps_audit_row_describe(char *buf, size_t cap, const ps_audit_row *r);

/* ---- writing (the worker, the store) -------------------------------- */

/*
 * ps_store_audit_attempt_begin - open an attempt at entry e at now under
 * settings_version (-1: unknown), outcome "in flight" until it ends, so a
 * worker killed mid-attempt leaves it visible.  batch_of: the first
 * attempt of the batch it is performed in, whose requests it shares (0:
 * alone; the batch's requests are recorded once, under that attempt).
 * *out_id: its row id.
 */
int ps_store_audit_attempt_begin(int64_t *out_id, ps_store *st,
				 const ps_log_entry *e,
				 int64_t settings_version, int64_t batch_of,
				 int64_t now);

/*
 * ps_store_audit_attempt_end - close attempt id at now with outcome
 * ("synced", "failed", "waiting", "interrupted"), reason (may be NULL,
 * stored as given: redact it first) and target (may be NULL).
 */
int ps_store_audit_attempt_end(ps_store *st, int64_t id, const char *outcome,
			       const char *reason, const char *target,
			       int64_t now);

/* One HTTP request's summary (http.h, ps_http_exchange), borrowed. */
typedef struct ps_audit_request {
	ps_platform platform;
	const char *method;
	const char *path; /* no scheme, host, credentials or query */
	long status;      /* 0: no response */
	int error;        /* PS_E* of a transport failure, 0 */
	int64_t at;       /* ms, when it ended */
	int64_t duration_ms;
	int64_t bytes;
} ps_audit_request;

/* ps_store_audit_request_add - r as a step of attempt attempt_id of entry
 * entry_id. */
int ps_store_audit_request_add(ps_store *st, int64_t attempt_id,
			       int64_t entry_id, const ps_audit_request *r);

/*
 * ps_store_audit_event_add - one row per object id of ev (decoded: its
 * object and ids), at the time it was received.
 */
int ps_store_audit_event_add(ps_store *st, const ps_event *ev);

/*
 * ps_store_audit_prune - delete the rows older than before (ms); *out_n
 * (may be NULL) how many.  Works in slices, each its own transaction
 * (or the caller's).
 */
int ps_store_audit_prune(size_t *out_n, ps_store *st, int64_t before);

/*
 * ps_store_audit_entry_version - the settings version of entry_id's
 * latest attempt into *out.  PS_ENOTFOUND when no attempt is recorded.
 */
int ps_store_audit_entry_version(int64_t *out, ps_store *st, int64_t entry_id);

/* ---- reading -------------------------------------------------------- */

/* The most log entries one timeline gathers. */
#define PS_AUDIT_MAX_ENTRIES 500

/*
 * ps_store_audit_timeline - the timeline of the order whose id on
 * platform is id (platform < 0: any platform; the one where an order with
 * that id was placed, i.e. the source of its import, else the first that
 * knows it), joined through the order cross-references to its ids on the
 * other platforms, oldest first.  *out freed with ps_audit_rows_free.
 * PS_ENOTFOUND (detail for the operator) when no platform knows the id.
 */
int ps_store_audit_timeline(ps_audit_row **out, size_t *out_n, ps_store *st,
			    int platform, const char *id);

/*
 * ps_store_audit_timeline_of_entry - the timeline of the record entry_id
 * is about: its order (an order entry's subject, else the order its
 * subject belongs to), else the entry alone.  PS_ENOTFOUND for no entry.
 */
int ps_store_audit_timeline_of_entry(ps_audit_row **out, size_t *out_n,
				     ps_store *st, int64_t entry_id);

#endif
