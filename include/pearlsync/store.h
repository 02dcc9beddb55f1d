/*
 * store.h - the SQLite database every pearlsync process shares.
 *
 * The database is the only shared state and the only channel between the
 * worker, the console and the CLI.  This module opens it, applies numbered
 * migrations and is the only code that writes SQL.  It holds the operator's
 * settings (with a version history that can be rolled back), mappings,
 * cross-references, the sync log (a durable state machine), cursors, inbound
 * webhook events, operator requests, the worker heartbeat, HTTP counters and
 * a cache of values fetched from the platforms.
 *
 * Time: every function that records a time takes `int64_t now`, in unix
 * MILLISECONDS, from the caller.  The store never reads the clock, so tests
 * control time.  A stored time of 0 means "never / not set".
 *
 * Threads: a ps_store is one SQLite connection; use it from one thread at a
 * time.  Two processes (or two ps_store in one process) may open the same
 * file; writers wait up to the busy timeout and then fail with PS_EBUSY.
 *
 * Strings: `char **out` and structs filled by the store are owned by the
 * caller (free / *_dispose / *_free); `const` pointers handed to callbacks
 * are borrowed and valid only during the call.  Callbacks return 0 to go on;
 * any other value stops the walk and is returned by the foreach function.
 */
#ifndef PEARLSYNC_STORE_H
#define PEARLSYNC_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/common.h"
#include "pearlsync/money.h"

typedef struct ps_store ps_store;

/* The schema version this binary writes (PRAGMA user_version). */
#define PS_STORE_SCHEMA_VERSION 14

/* Writers wait this long for another connection's lock, then PS_EBUSY. */
#define PS_STORE_BUSY_TIMEOUT_MS 5000

/* ps_store_open flags */
#define PS_STORE_OPEN_READONLY 0x1u  /* no writes, no create, no migration */
#define PS_STORE_OPEN_NO_CREATE 0x2u /* PS_ENOTFOUND if the file is absent */

/* ------------------------------------------------------------------------ */
/* Opening, closing, transactions                                            */

/*
 * ps_store_open - open (creating with mode 0600 unless a flag forbids it)
 * the database at path and bring its schema up to PS_STORE_SCHEMA_VERSION,
 * all migrations in one transaction.  WAL journal, foreign keys on,
 * synchronous=NORMAL, busy timeout PS_STORE_BUSY_TIMEOUT_MS.  An existing
 * file created by another tool is chmod'ed to 0600.
 *
 * Read-only opens never migrate; they accept an older schema (callers may
 * then see PS_ESTORE on missing tables) but not a newer one.
 *
 * *out is NULL on failure.  Returns 0, PS_EINVAL (NULL argument),
 * PS_ENOTFOUND (file absent with NO_CREATE/READONLY), PS_EVERSION (the
 * database was written by a newer pearlsync), PS_EBUSY, PS_EIO or PS_ESTORE.
 */
int ps_store_open(ps_store **out, const char *path, unsigned flags);

/*
 * ps_store_close - finalise every prepared statement and close.  An open
 * transaction is rolled back.  Accepts NULL.
 */
void ps_store_close(ps_store *st);

/*
 * ps_store_release_memory - hand back the page cache's unused pages (the
 * clean ones, outside a transaction).  The cache is sized for the
 * console's large log (16 MiB; the worker's connections get
 * PS_STORE_WORKER_CACHE_KIB); a bulk writer in the worker (a 20,000-SKU
 * stock reconcile writes 40,000 rows) calls this between its commits so
 * its pages do not stay resident up to that size.  Accepts NULL.
 */
void ps_store_release_memory(ps_store *st);

/*
 * ps_store_page_cache_set - limit this connection's page cache to kib KiB
 * (PRAGMA cache_size).  ps_store_open gives 16 MiB, which keeps a large
 * log's indexes in memory for the console; a connection that mostly
 * appends, like the worker's, needs far less, and its memory must not
 * grow with the database.  Returns 0, PS_EINVAL (NULL st, kib < 64) or
 * PS_ESTORE.
 */
int ps_store_page_cache_set(ps_store *st, int kib);

/* Page cache of the worker's connections (ps_store_page_cache_set). */
#define PS_STORE_WORKER_CACHE_KIB 1024

/* ps_store_schema_version - the file's PRAGMA user_version into *out. */
int ps_store_schema_version(int *out, ps_store *st);

/*
 * ps_store_begin / ps_store_commit / ps_store_rollback - explicit
 * transactions.  They nest: the outermost begin is BEGIN IMMEDIATE (takes
 * the write lock at once, waiting up to the busy timeout, else PS_EBUSY);
 * inner ones are savepoints.  An inner commit releases its savepoint (the
 * work becomes durable only with the outermost commit); an inner rollback
 * undoes only the inner work.  Every store function that writes several
 * rows runs inside its own (nested) transaction, so it joins the caller's.
 * commit/rollback without a begin return PS_EINVAL.  If a commit fails the
 * level is rolled back and closed.
 */
int ps_store_begin(ps_store *st);
int ps_store_commit(ps_store *st);
int ps_store_rollback(ps_store *st);

/* ps_store_in_transaction - current nesting depth (0 = none). */
int ps_store_in_transaction(const ps_store *st);

/* ------------------------------------------------------------------------ */
/* Settings and their history                                                */

/*
 * Settings are (key, value) text pairs; the catalogue in settings.h says
 * which keys exist, their types and defaults.  Every change appends rows to
 * the history with a change-set version (1, 2, ...; all rows written by one
 * call share one version) and an actor ("cli", "console", "import",
 * "worker").  Mapping changes are recorded in the same history under keys
 * "mapping:<kind>:<direction>:<source>" (empty source = the default), so a
 * rollback covers them too.  Secrets are stored as-is (the file is 0600);
 * displays mask them (ps_settings_is_secret()).
 */

/* One key/value pair given to ps_store_settings_set_many; value NULL unsets. */
typedef struct ps_setting_kv {
	const char *key;
	const char *value;
} ps_setting_kv;

/* One history row, as handed (borrowed) to ps_store_setting_history_cb. */
typedef struct ps_setting_change {
	int64_t id;
	int64_t version; /* change-set */
	int64_t at;      /* ms */
	const char *key;
	const char *old_value; /* NULL: was unset */
	const char *new_value; /* NULL: now unset */
	const char *actor;
} ps_setting_change;

typedef int (*ps_store_setting_cb)(const char *key, const char *value,
				   void *payload);
typedef int (*ps_store_setting_history_cb)(const ps_setting_change *change,
					   void *payload);

/*
 * ps_store_setting_get - the stored value of key into *out (caller frees).
 * No catalogue default is applied (see ps_settings_get).  The value of a
 * secret key is registered with ps_log_add_secret() so logs mask it (so is
 * a secret written by the functions below).  Returns 0, PS_ENOTFOUND (not
 * set), PS_EINVAL, PS_ENOMEM, PS_ESTORE.
 */
int ps_store_setting_get(char **out, ps_store *st, const char *key);

/*
 * ps_store_setting_set - set key to value (NULL unsets it), validated
 * against the catalogue first (PS_EINVAL "unknown setting 'x'" or the
 * reason the value is bad; nothing is written).  The history row is written
 * in the same transaction.  Setting a key to its current value writes
 * nothing and leaves *out_version (may be NULL) at 0; otherwise it receives
 * the new change-set version.
 */
int ps_store_setting_set(int64_t *out_version, ps_store *st, const char *key,
			 const char *value, const char *actor, int64_t now);

/*
 * ps_store_settings_set_many - set n pairs as one change-set, all or
 * nothing: if any key or value is invalid nothing is written and the error
 * names the offending key.  Unchanged pairs are skipped; *out_version is 0
 * when nothing changed.
 */
int ps_store_settings_set_many(int64_t *out_version, ps_store *st,
			       const ps_setting_kv *kv, size_t n,
			       const char *actor, int64_t now);

/* ps_store_setting_foreach - every stored setting, ordered by key. */
int ps_store_setting_foreach(ps_store *st, ps_store_setting_cb cb,
			     void *payload);

/*
 * ps_store_setting_history_forget - blank every value the history holds
 * for key (old and new become NULL): for a value that must not outlive
 * its one use (a password traded for tokens).  Deleted bytes are
 * overwritten (the store runs with secure_delete).
 */
int ps_store_setting_history_forget(ps_store *st, const char *key);

/*
 * ps_store_setting_history_foreach - history rows newest first; key NULL
 * for all keys (settings and "mapping:..." rows), otherwise that key only.
 */
int ps_store_setting_history_foreach(ps_store *st, const char *key,
				     ps_store_setting_history_cb cb,
				     void *payload);

/* ps_store_settings_version - the latest change-set version (0 if none). */
int ps_store_settings_version(int64_t *out, ps_store *st);

/*
 * ps_store_settings_rollback - restore every setting and mapping to its
 * value as of change-set version (0 = before the first change: everything
 * unset), recording the restoration as a new change-set by actor.  Values
 * are restored as they were, without re-validation.  *out_version gets the
 * new version (0 if nothing differed).  PS_ENOTFOUND if version is beyond
 * the latest.
 */
int ps_store_settings_rollback(int64_t *out_version, ps_store *st,
			       int64_t version, const char *actor, int64_t now);

/* ------------------------------------------------------------------------ */
/* Mappings                                                                  */

/*
 * A mapping translates a value of one platform into another's, per kind
 * ("order_status", "shipping_method", "warehouse", "payment_method",
 * "product", "channel"; any [a-z0-9_]+ is accepted) and direction
 * ("bc>bp", "bp>bc", "dsco>bp", "bp>sh", ...: two platform codes).  Unique
 * per (kind, direction, source).  A NULL or empty source is the default row
 * for (kind, direction).  Source and target are compared exactly.
 */
typedef struct ps_mapping {
	const char *kind;
	const char *direction;
	const char *source; /* NULL or "" = the default */
	const char *target;
} ps_mapping;

typedef int (*ps_store_mapping_cb)(const ps_mapping *mapping, void *payload);

/* ps_store_mapping_get flags */
/* no row for the source: use the (kind, direction) default */
#define PS_STORE_MAPPING_FALLBACK 0x1u

/*
 * ps_store_mapping_get - the target for source into *out (caller frees).
 * With PS_STORE_MAPPING_FALLBACK, an unmapped source yields the default.
 * Returns PS_ENOTFOUND (detail names kind, direction and source) when
 * neither exists, PS_EINVAL on a malformed kind or direction.
 */
int ps_store_mapping_get(char **out, ps_store *st, const char *kind,
			 const char *direction, const char *source,
			 unsigned flags);

/*
 * ps_store_mapping_set - insert or replace one mapping (target must be
 * non-empty) and record it in the settings history.  No-op if unchanged.
 * *out_version (may be NULL) as for ps_store_setting_set.
 */
int ps_store_mapping_set(int64_t *out_version, ps_store *st,
			 const ps_mapping *mapping, const char *actor,
			 int64_t now);

/*
 * ps_store_mapping_remove - delete one mapping (source NULL: the default),
 * recorded in the history.  PS_ENOTFOUND if there was none.
 */
int ps_store_mapping_remove(int64_t *out_version, ps_store *st,
			    const char *kind, const char *direction,
			    const char *source, const char *actor, int64_t now);

/*
 * ps_store_mapping_foreach - mappings ordered by kind, direction, source
 * (the default first); kind and/or direction NULL match all.
 */
int ps_store_mapping_foreach(ps_store *st, const char *kind,
			     const char *direction, ps_store_mapping_cb cb,
			     void *payload);

/* ps_store_mapping_import flags */
/* first drop every existing mapping of each (kind, direction) in rows */
#define PS_STORE_MAPPING_REPLACE 0x1u

/*
 * ps_store_mapping_import - apply n mappings as one change-set in one
 * transaction, all or nothing: one malformed row (the detail gives its
 * 1-based index) or a duplicate source within rows leaves the database
 * untouched.  *out_version as above.
 */
int ps_store_mapping_import(int64_t *out_version, ps_store *st,
			    const ps_mapping *rows, size_t n, unsigned flags,
			    const char *actor, int64_t now);

/* ------------------------------------------------------------------------ */
/* Cross-references                                                          */

/*
 * An xref links an entity's id on one platform to its id on another
 * ("order", "product", "customer", "shipment", ...).  A link is symmetric
 * and unique both ways: one id on A has at most one partner on B and vice
 * versa; ps_store_xref_set replaces earlier links of either id.
 */
int ps_store_xref_set(ps_store *st, const char *entity, ps_platform a,
		      const char *id_a, ps_platform b, const char *id_b,
		      int64_t now);

/*
 * ps_store_xref_get - the id on platform `to` linked to (from, id) into
 * *out (caller frees).  PS_ENOTFOUND if unlinked.
 */
int ps_store_xref_get(char **out, ps_store *st, const char *entity,
		      ps_platform from, const char *id, ps_platform to);

/* ------------------------------------------------------------------------ */
/* What pearlsync wrote (the echo guard)                                     */

/*
 * Every write pearlsync makes to a platform field it may later read back
 * as input is remembered here, per (platform, object, object id, field):
 * object is the kind ("order", "order_note", "stock"...), field the name
 * ("status", "staff_notes", "text"...).  A later read whose value equals
 * the last write is pearlsync's own echo, not a change by someone else.
 *
 * ps_store_written_set - remember that flow (may be NULL) wrote value
 * (NULL is stored as "") at now, replacing the previous write.  Runs in the
 * caller's transaction if one is open.  0 or a PS_E* code.
 */
int ps_store_written_set(ps_store *st, ps_platform platform, const char *object,
			 const char *object_id, const char *field,
			 const char *value, const char *flow, int64_t now);

/*
 * ps_store_written_is - 1 when value (NULL reads as "") equals
 * pearlsync's last write of that field, 0 when it differs or nothing was
 * written, or a negative PS_E* code.
 */
int ps_store_written_is(ps_store *st, ps_platform platform, const char *object,
			const char *object_id, const char *field,
			const char *value);

/*
 * ps_store_written_seen - what a reading flow calls with the value it
 * sees: 1 when it is pearlsync's last write (an echo: not a change).
 * Otherwise someone else has changed the field since, so the record is
 * dropped (a later return to the old value is theirs, not an echo) and 0
 * is returned.  A negative PS_E* code on failure.
 */
int ps_store_written_seen(ps_store *st, ps_platform platform,
			  const char *object, const char *object_id,
			  const char *field, const char *value);

/*
 * ps_store_written_int_set / _is / _seen - the same for an integer value
 * (a status id, a stock level).
 */
int ps_store_written_int_set(ps_store *st, ps_platform platform,
			     const char *object, int64_t object_id,
			     const char *field, int64_t value, const char *flow,
			     int64_t now);
int ps_store_written_int_is(ps_store *st, ps_platform platform,
			    const char *object, int64_t object_id,
			    const char *field, int64_t value);
int ps_store_written_int_seen(ps_store *st, ps_platform platform,
			      const char *object, int64_t object_id,
			      const char *field, int64_t value);

/* ------------------------------------------------------------------------ */
/* The sync log                                                              */

typedef enum ps_entry_status {
	PS_ENTRY_PENDING = 0,   /* to do, or waiting (reason says for what) */
	PS_ENTRY_IN_FLIGHT = 1, /* claimed; the call may be under way */
	PS_ENTRY_SYNCED = 2,
	PS_ENTRY_FAILED = 3,
	PS_ENTRY_STATUS_COUNT
} ps_entry_status;

/* "pending", "in_flight", "synced", "failed"; "?" otherwise. Static. */
const char *ps_entry_status_name(ps_entry_status s);
/* Parse the names above.  0 or PS_EINVAL. */
int ps_entry_status_parse(ps_entry_status *out, const char *name);

/*
 * One sync log row.  Strings are owned by the struct (NULL = absent); fill
 * one for ps_store_log_add (only flow, dedupe_key and the platforms are
 * required) or receive one from the store.  Use ps_log_entry_init /
 * ps_log_entry_dispose for storage you own; arrays from the store are freed
 * with ps_log_entries_free.
 */
typedef struct ps_log_entry {
	int64_t id;
	char *flow;       /* "order_import_bc", ... */
	char *dedupe_key; /* unique: platform, entity, source id, change */
	ps_entry_status status;
	char *order_number; /* what the operator searches for */
	ps_money total;     /* valid when has_total */
	int has_total;
	char *currency; /* ISO 4217 */
	char *shipping_method;
	char *shipment_status;
	int64_t inserted_at;     /* ms */
	int64_t updated_at;      /* ms */
	int64_t synced_at;       /* ms, 0 = never */
	int64_t next_attempt_at; /* ms, 0 = not scheduled (waits for operator)
				  */
	int attempts;            /* claims since insert or operator retry */
	char *reason;            /* last failure / what it waits for */
	int error_code;          /* PS_E* of the last failure, 0 */
	ps_platform source_platform;
	char *source_id;
	ps_platform target_platform;
	char *target_id; /* set when synced */
	char *detail;    /* what was sent (redacted), free text */
	/*
	 * What the unit of work is and which object it is about, set by the
	 * flow that records the entry (the dedupe key is only its uniqueness
	 * key).  kind is "<object>.<work>", e.g. "order.import",
	 * "note.copy", "goods-out-note.ship"; subject is that object's id
	 * on the source platform ("" when the work has no single object);
	 * subject_order is the source platform's order the object belongs
	 * to when it is not an order itself ("" when unknown or none).  NULL
	 * is stored as ""; entries from the store never hold NULL here.
	 */
	char *kind;
	char *subject;
	char *subject_order;
} ps_log_entry;

/*
 * ps_log_entry_init - zero e (status PENDING, no strings).
 * ps_log_entry_dispose - free e's strings and re-initialise it; accepts
 * NULL.  Only for entries whose strings the caller owns (from the store,
 * or heap strings of its own) - not for one pointing at literals.
 * ps_log_entries_free - dispose n entries and free the array; accepts NULL.
 */
void ps_log_entry_init(ps_log_entry *e);
void ps_log_entry_dispose(ps_log_entry *e);
void ps_log_entries_free(ps_log_entry *entries, size_t n);

/* ps_log_entry_is - nonzero when e's kind is kind. */
int ps_log_entry_is(const ps_log_entry *e, const char *kind);

/*
 * ps_log_entry_subject - e's subject for people, into buf (always
 * terminated): "order 123", "note 45 of order 123", "" when the entry
 * has no subject.  The object's name is the kind's part before the dot.
 * Returns buf.
 */
char *ps_log_entry_subject(char *buf, size_t cap, const ps_log_entry *e);

/*
 * ps_log_entry_describe - what the entry does, for people, into buf
 * (always terminated): the kind's work then its subject, "import order
 * 1001", "copy note 45 of order 123"; "reconcile inventory" without a
 * subject; "" without a kind.  Returns buf.
 */
char *ps_log_entry_describe(char *buf, size_t cap, const ps_log_entry *e);

/*
 * ps_store_log_add - insert entry unless its dedupe_key exists.  The
 * entry's status (PENDING or FAILED) and reason are kept; next_attempt_at 0
 * means `now` for a pending entry.  inserted_at/updated_at are `now`.
 * *out_id (may be NULL) receives the new or the existing row's id.
 * Returns 0 if inserted, 1 if the key already existed (nothing changed),
 * negative PS_E* on error.
 */
int ps_store_log_add(int64_t *out_id, ps_store *st, const ps_log_entry *entry,
		     int64_t now);

/*
 * ps_store_log_get - the row with id into *out (initialised by the call;
 * caller disposes).  PS_ENOTFOUND if absent.  ps_store_log_get_by_key is the
 * same by dedupe key.
 */
int ps_store_log_get(ps_log_entry *out, ps_store *st, int64_t id);
int ps_store_log_get_by_key(ps_log_entry *out, ps_store *st,
			    const char *dedupe_key);

/*
 * ps_store_log_claim_due - up to max entries that are due (PENDING or
 * FAILED with a next_attempt_at <= now), oldest next attempt first, for
 * flow (NULL: every flow).  They are marked IN_FLIGHT, attempts+1,
 * next_attempt_at cleared, in a transaction committed before this returns
 * (when called outside any transaction - do so, so a crash afterwards
 * leaves them IN_FLIGHT).  *out is an array of *out_n entries (NULL/0 when
 * none), freed with ps_log_entries_free.
 */
int ps_store_log_claim_due(ps_log_entry **out, size_t *out_n, ps_store *st,
			   const char *flow, size_t max, int64_t now);

/*
 * ps_store_log_due_peek - how many of flow's entries (NULL: every flow)
 * ps_store_log_claim_due would claim at now, counting up to max, into
 * *out_n, and the earliest due time among them (ms; 0 when none) into
 * *out_first, without claiming anything: for a scheduler that holds due
 * work a moment so that a batch forms.
 */
int ps_store_log_due_peek(size_t *out_n, int64_t *out_first, ps_store *st,
			  const char *flow, size_t max, int64_t now);

/*
 * ps_store_log_mark_synced - SYNCED, synced_at=now, target_id (may be NULL
 * to keep), detail (NULL keeps), reason cleared.
 */
int ps_store_log_mark_synced(ps_store *st, int64_t id, const char *target_id,
			     const char *detail, int64_t now);

/*
 * ps_store_log_mark_synced_warn - ps_store_log_mark_synced, and when
 * warning is not NULL the reason becomes "warning: <warning>": the work
 * was done but a part of it failed (a refused reservation).  The entry
 * counts as synced (filters and counts); the reason's prefix
 * PS_LOG_WARNING_PREFIX is what the log shows.
 */
int ps_store_log_mark_synced_warn(ps_store *st, int64_t id,
				  const char *target_id, const char *detail,
				  const char *warning, int64_t now);

/* The prefix of a synced entry's reason that carries a warning. */
#define PS_LOG_WARNING_PREFIX "warning: "

/*
 * ps_store_log_mark_failed - FAILED with reason and error_code.  A
 * transient failure passes next_attempt_at > 0: the entry becomes due again
 * then.  0 means it waits for the operator (ps_store_log_retry).
 */
int ps_store_log_mark_failed(ps_store *st, int64_t id, const char *reason,
			     int error_code, int64_t next_attempt_at,
			     int64_t now);

/*
 * ps_store_log_mark_pending - back to PENDING with reason (e.g. "waiting
 * for setting bigcommerce.defaults.warehouse_id"); next_attempt_at as above.
 */
int ps_store_log_mark_pending(ps_store *st, int64_t id, const char *reason,
			      int64_t next_attempt_at, int64_t now);

/*
 * ps_store_log_set_fields - update the descriptive columns of an entry
 * (order number, total, currency, shipping method, shipment status,
 * detail, subject_order) from e; NULL strings (and "" for subject_order)
 * and has_total=0 keep the stored value.  Kind and subject are set once,
 * when the entry is added.
 */
int ps_store_log_set_fields(ps_store *st, int64_t id, const ps_log_entry *e,
			    int64_t now);

/*
 * ps_store_log_retry - operator retry of one entry: a FAILED or PENDING
 * entry becomes PENDING, due now, attempts reset to 0 (reason kept until
 * the next result).  PS_ENOTFOUND; PS_EINVAL if it is SYNCED or IN_FLIGHT.
 */
int ps_store_log_retry(ps_store *st, int64_t id, int64_t now);

/*
 * ps_store_log_retry_failed - the same for every FAILED entry (of flow, or
 * all flows if NULL).  *out_count (may be NULL) receives how many.
 */
int ps_store_log_retry_failed(size_t *out_count, ps_store *st, const char *flow,
			      int64_t now);

/*
 * ps_store_log_resume_auth - the FAILED entries (of flow, or all flows if
 * NULL) that wait for credentials (error code PS_EAUTH, nothing
 * scheduled) become PENDING, due now, attempts reset, reason "credentials
 * changed; trying again".  The worker calls it when the credentials a
 * refusal parked them on change.  *out_count (may be NULL): how many.
 */
int ps_store_log_resume_auth(size_t *out_count, ps_store *st, const char *flow,
			     int64_t now);

/*
 * ps_store_log_park_auth - flow's PENDING entries due by now become
 * FAILED with reason, error code PS_EAUTH and nothing scheduled: they
 * wait for credentials a platform refused, as the entry that met the
 * refusal does, until ps_store_log_resume_auth.  *out_count: how many.
 */
int ps_store_log_park_auth(size_t *out_count, ps_store *st, const char *flow,
			   const char *reason, int64_t now);

/*
 * ps_store_log_count_parked - how many of flow's entries wait for
 * credentials (those ps_store_log_resume_auth would resume) into
 * *out_count.  Reads flow's FAILED entries only (index log_flow_status).
 */
int ps_store_log_count_parked(size_t *out_count, ps_store *st,
			      const char *flow);

/*
 * ps_store_recover_interrupted - at worker start: IN_FLIGHT entries become
 * PENDING, due now, reason "interrupted; checking whether the previous
 * attempt completed" (the flow looks the object up by its reference before
 * creating); claimed but unprocessed events and requests are released.
 * *out_count (may be NULL) receives the number of entries recovered.
 */
int ps_store_recover_interrupted(size_t *out_count, ps_store *st, int64_t now);

/* A log listing query; start from PS_LOG_QUERY_INIT. */
typedef struct ps_log_query {
	int status;        /* a ps_entry_status, or -1 for any */
	const char *flow;  /* NULL for any */
	const char *text;  /* NULL/"" for any: case-insensitive substring
			    * of order number, reason, source or target id
			    * (3+ characters); 1-2 characters match order
			    * number or ids exactly */
	int64_t before_id; /* keyset paging: ids < before_id; 0 = newest */
	size_t limit;      /* page size, 1..1000 */
	const char *kind;  /* NULL for any, else exactly this kind */
} ps_log_query;

#define PS_LOG_QUERY_INIT                                                      \
	{                                                                      \
		-1, NULL, NULL, 0, 50, NULL                                    \
	}

/*
 * ps_store_log_list - one page of entries matching q, newest (highest id)
 * first.  Next page: before_id = last returned id.  *out as for claim.
 */
int ps_store_log_list(ps_log_entry **out, size_t *out_n, ps_store *st,
		      const ps_log_query *q);

/*
 * Index steps a filtered text search takes at most per call of
 * ps_store_log_search (a b-tree seek counts as the steps it saves): about
 * 15 ms on the benchmark's log of a million entries (tests/bench/
 * bench_console.c), whatever the filter, where a search whose text and
 * filter never meet walked both indexes to the end (hundreds of ms).
 */
#define PS_STORE_LOG_SEARCH_BUDGET 100000

/*
 * ps_store_log_search - ps_store_log_list for an interactive screen: the
 * same page, except that text (3+ characters) combined with a status,
 * flow or kind filter walks at most PS_STORE_LOG_SEARCH_BUDGET steps of
 * the two indexes.  When it stops early with fewer than q->limit rows,
 * *out_resume (may be NULL) is the before_id that continues the search
 * (every entry at or above it was examined), else 0.  The rows found so
 * far are returned either way.  *out as for ps_store_log_list.
 */
int ps_store_log_search(ps_log_entry **out, size_t *out_n, int64_t *out_resume,
			ps_store *st, const ps_log_query *q);

typedef int (*ps_store_log_count_cb)(const char *flow, ps_entry_status status,
				     int64_t count, void *payload);

/*
 * ps_store_log_counts - number of entries per (flow, status), ordered by
 * flow then status; since > 0 counts only entries updated at or after
 * since (ms), 0 counts all.  Empty groups are not reported.
 */
int ps_store_log_counts(ps_store *st, int64_t since, ps_store_log_count_cb cb,
			void *payload);

/*
 * ps_store_log_state_counts - the same figures as ps_store_log_counts with
 * since 0, read from the per-(flow, status) totals the schema keeps up to
 * date on every write of the log (a few rows, whatever the log's size).
 * Groups that emptied are reported with 0.  Ordered by flow, status.
 */
int ps_store_log_state_counts(ps_store *st, ps_store_log_count_cb cb,
			      void *payload);

/* How far back ps_store_log_recent_counts can look, in days. */
#define PS_STORE_LOG_RECENT_DAYS 7

/*
 * ps_store_log_recent_counts - the entries per (flow, status) updated at or
 * after since (ms), from the quarter-hour totals the schema keeps up to
 * date on every write of the log (migration 14), so the cost is the number
 * of quarter hours since since times the active (flow, status) pairs,
 * whatever the log's size.  since is rounded down to a quarter hour (every
 * time zone's midnight is on one); quarters older than
 * PS_STORE_LOG_RECENT_DAYS before the newest entry are no longer kept, so
 * an earlier since counts only the kept ones.  Ordered by flow, status;
 * groups without entries are not reported.  Returns 0, PS_EINVAL or a
 * store error; a non-zero return of cb stops the walk and is returned.
 */
int ps_store_log_recent_counts(ps_store *st, int64_t since,
			       ps_store_log_count_cb cb, void *payload);

/*
 * The log by hour and flow (migration 12, kept by triggers): order
 * imports first recorded in the hour, and entries that became synced or
 * failed in it.  hour is unix ms / 3600000 (UTC).
 */
typedef int (*ps_store_log_hour_cb)(int64_t hour, const char *flow,
				    int64_t orders, int64_t synced,
				    int64_t failed, void *payload);

/*
 * ps_store_log_hours - each flow's bucket of every hour in [from, to),
 * ordered by hour then flow; hours without entries have no row.  Reads
 * (to - from) x flows rows through the table's key.
 */
int ps_store_log_hours(ps_store *st, int64_t from, int64_t to,
		       ps_store_log_hour_cb cb, void *payload);

/*
 * ps_store_log_first_hour - the oldest hour kept into *out, or
 * PS_ENOTFOUND (*out 0) when the log never had an entry.  One seek.
 */
int ps_store_log_first_hour(int64_t *out, ps_store *st);

/*
 * ps_store_log_oldest - inserted_at (ms) of flow's oldest entry (lowest
 * id) in status into *out, or PS_ENOTFOUND (*out 0) when flow has none
 * in that status.  One index seek.
 */
int ps_store_log_oldest(int64_t *out, ps_store *st, const char *flow,
			ps_entry_status status);

/*
 * ps_store_log_last_updated - the latest updated_at (ms) among flow's
 * entries in status into *out (for synced: the last success), or
 * PS_ENOTFOUND (*out 0).  One index seek.
 */
int ps_store_log_last_updated(int64_t *out, ps_store *st, const char *flow,
			      ps_entry_status status);

typedef int (*ps_store_log_entry_cb)(const ps_log_entry *e, void *payload);

/*
 * ps_store_log_foreach_since - the entries of flow with status that were
 * updated at or after since (ms), most recently updated first, at most
 * limit of them (capped at 1000), each handed to cb (borrowed: valid only
 * during the call).  One row is in memory at a time, so a caller that
 * keeps only what it prints stays bounded however large the log is.  The
 * same filter as ps_store_log_counts, so its count minus the rows seen is
 * what was left out.
 */
int ps_store_log_foreach_since(ps_store *st, const char *flow,
			       ps_entry_status status, int64_t since,
			       size_t limit, ps_store_log_entry_cb cb,
			       void *payload);

/* ------------------------------------------------------------------------ */
/* Cursors                                                                   */

/*
 * ps_store_cursor_get - the value of stream (e.g. "bc.orders.modified")
 * into *out (caller frees); *out_updated_at (may be NULL) its time.
 * PS_ENOTFOUND if never set.
 */
int ps_store_cursor_get(char **out, int64_t *out_updated_at, ps_store *st,
			const char *stream);

/*
 * ps_store_cursor_set - set stream's value.  Call it inside the
 * transaction that records the entries the cursor covers, so both land
 * together or not at all.
 */
int ps_store_cursor_set(ps_store *st, const char *stream, const char *value,
			int64_t now);

/* ------------------------------------------------------------------------ */
/* Inbound events (webhooks)                                                 */

typedef struct ps_event {
	int64_t id;
	ps_platform platform;
	char *topic;  /* "store/order/created" */
	char *object; /* what changed: "order"; "" if not decoded */
	int64_t *ids; /* the objects' ids (owned), nids of them */
	size_t nids;
	int64_t changed_at;   /* unix s the platform says it changed, or 0 */
	char *value;          /* the new value it announced, or "" */
	char *payload;        /* body as received */
	int64_t received_at;  /* ms */
	int64_t claimed_at;   /* ms, 0 = not claimed */
	int64_t processed_at; /* ms, 0 = not processed */
} ps_event;

/* init zeroes; dispose frees the strings (accepts NULL); events_free
 * disposes n events and frees the array (accepts NULL). */
void ps_event_init(ps_event *ev);
void ps_event_dispose(ps_event *ev);
void ps_events_free(ps_event *events, size_t n);

/* What a decoded webhook says changed (platform.h, ps_webhook_event). */
typedef struct ps_event_change {
	const char *topic;  /* "store/order/updated" */
	const char *object; /* "order" */
	const int64_t *ids; /* nids ids, each > 0 */
	size_t nids;
	int64_t changed_at; /* unix s, or 0 */
	const char *value;  /* or NULL */
} ps_event_change;

/*
 * ps_store_event_add_typed - record a received webhook as its platform's
 * plug-in decoded it, with the body as received.  *out_id may be NULL.
 */
int ps_store_event_add_typed(int64_t *out_id, ps_store *st,
			     ps_platform platform, const ps_event_change *c,
			     const char *payload, int64_t now);

/* ps_store_event_add - the same without object or ids (not decoded). */
int ps_store_event_add(int64_t *out_id, ps_store *st, ps_platform platform,
		       const char *topic, const char *payload, int64_t now);

/*
 * ps_store_event_claim - up to max unclaimed, unprocessed events, oldest
 * first, marked claimed.  *out freed with ps_events_free.
 */
int ps_store_event_claim(ps_event **out, size_t *out_n, ps_store *st,
			 size_t max, int64_t now);

/* ps_store_event_mark_processed - done with it.  PS_ENOTFOUND. */
int ps_store_event_mark_processed(ps_store *st, int64_t id, int64_t now);

/* ------------------------------------------------------------------------ */
/* Webhook registrations                                                     */

/* One webhook registration as a platform's plug-in last found it. */
typedef struct ps_hook_state {
	ps_platform platform;
	char *topic;        /* "store/order/created" */
	char *hook_id;      /* the platform's id for it */
	char *destination;  /* where it delivers */
	int active;         /* 0: the platform switched it off */
	int reactivated;    /* the last check turned it back on */
	int64_t checked_at; /* ms */
} ps_hook_state;

/* ps_hook_states_free - dispose n states and free the array; NULL ok. */
void ps_hook_states_free(ps_hook_state *v, size_t n);

/*
 * ps_store_hooks_replace - platform's registrations are now v[0..n)
 * (those recorded before are dropped), in one transaction.
 */
int ps_store_hooks_replace(ps_store *st, ps_platform platform,
			   const ps_hook_state *v, size_t n);

/*
 * ps_store_hooks_list - every platform's recorded registrations, by
 * platform and topic.  *out freed with ps_hook_states_free.
 */
int ps_store_hooks_list(ps_hook_state **out, size_t *out_n, ps_store *st);

/* ------------------------------------------------------------------------ */
/* Operator requests (console/CLI -> worker)                                 */

typedef enum ps_request_kind {
	PS_REQUEST_RETRY_ENTRY = 0,  /* argument: entry id */
	PS_REQUEST_RETRY_FAILED = 1, /* argument: flow or NULL for all */
	PS_REQUEST_RUN_FLOW = 2,     /* argument: flow */
	PS_REQUEST_PAUSE_FLOW = 3,
	PS_REQUEST_RESUME_FLOW = 4,
	PS_REQUEST_KIND_COUNT
} ps_request_kind;

/* "retry_entry", "retry_failed", "run_flow", "pause_flow", "resume_flow". */
const char *ps_request_kind_name(ps_request_kind k);
int ps_request_kind_parse(ps_request_kind *out, const char *name);

typedef struct ps_request {
	int64_t id;
	ps_request_kind kind;
	char *argument;     /* may be NULL */
	int64_t created_at; /* ms */
	int64_t claimed_at; /* ms, 0 = not yet */
	int64_t done_at;    /* ms, 0 = not yet */
	char *result;       /* outcome text set by the worker, may be NULL */
} ps_request;

/* init zeroes; dispose frees the strings (accepts NULL); requests_free
 * disposes n requests and frees the array (accepts NULL). */
void ps_request_init(ps_request *r);
void ps_request_dispose(ps_request *r);
void ps_requests_free(ps_request *requests, size_t n);

/*
 * ps_store_request_add - queue a request for the worker (argument may be
 * NULL); *out_id (may be NULL) receives its id, to poll with
 * ps_store_request_get until done_at is set.  PS_EINVAL for a bad kind.
 */
int ps_store_request_add(int64_t *out_id, ps_store *st, ps_request_kind kind,
			 const char *argument, int64_t now);

/* ps_store_request_claim - up to max unclaimed requests, oldest first. */
int ps_store_request_claim(ps_request **out, size_t *out_n, ps_store *st,
			   size_t max, int64_t now);

/* ps_store_request_complete - done, with an outcome text (may be NULL). */
int ps_store_request_complete(ps_store *st, int64_t id, const char *result,
			      int64_t now);

/* ps_store_request_get - one request (caller disposes). PS_ENOTFOUND. */
int ps_store_request_get(ps_request *out, ps_store *st, int64_t id);

/* ------------------------------------------------------------------------ */
/* Worker heartbeat                                                          */

typedef struct ps_heartbeat {
	int64_t pid;
	int64_t started_at; /* ms */
	int64_t beat_at;    /* ms */
	char *state;        /* "running", "stopping", "paused: ..." */
} ps_heartbeat;

/*
 * The worker rewrites its heartbeat every second or so; one older than this
 * means no worker is running (killed, crashed or stopped), whatever state
 * it last wrote.  `pearlsync status`, the console and the worker's own
 * "is another worker running?" check all use this one limit.
 */
#define PS_HEARTBEAT_STALE_MS 15000

/* init zeroes; dispose frees state (accepts NULL). */
void ps_heartbeat_init(ps_heartbeat *hb);
void ps_heartbeat_dispose(ps_heartbeat *hb);

/* ps_store_heartbeat_set - replace the single heartbeat row. */
int ps_store_heartbeat_set(ps_store *st, const ps_heartbeat *hb);

/* ps_store_heartbeat_get - the row (caller disposes); PS_ENOTFOUND. */
int ps_store_heartbeat_get(ps_heartbeat *out, ps_store *st);

/* ------------------------------------------------------------------------ */
/* HTTP counters                                                             */

typedef int (*ps_store_http_count_cb)(int64_t bucket, ps_platform platform,
				      const char *endpoint, const char *outcome,
				      int64_t count, void *payload);

/*
 * ps_store_http_count_add - add count to (bucket, platform, endpoint,
 * outcome).  bucket is the caller's choice of period start in ms (e.g. the
 * hour); outcome e.g. "2xx", "429", "5xx", "timeout".
 */
int ps_store_http_count_add(ps_store *st, int64_t bucket, ps_platform platform,
			    const char *endpoint, const char *outcome,
			    int64_t count);

/* ps_store_http_count_foreach - rows with bucket >= since, ordered. */
int ps_store_http_count_foreach(ps_store *st, int64_t since,
				ps_store_http_count_cb cb, void *payload);

/* ------------------------------------------------------------------------ */
/* Cache of values fetched from the platforms                                */

/* ps_store_cache_set - store JSON text under kind ("bp.warehouses"). */
int ps_store_cache_set(ps_store *st, const char *kind, const char *json,
		       int64_t now);

/* ps_store_cache_get - the JSON into *out (caller frees); PS_ENOTFOUND. */
int ps_store_cache_get(char **out, int64_t *out_fetched_at, ps_store *st,
		       const char *kind);

/* ------------------------------------------------------------------------ */
/* API budgets (what the HTTP limiter believes is left, for the console)     */

/* One (platform, account)'s budget as last recorded. */
typedef struct ps_store_budget {
	ps_platform platform;
	char *account;      /* "" when the platform has one budget */
	long remaining;     /* units left, >= 0 */
	long quota;         /* units in a full budget; -1: unknown */
	char *unit;         /* "requests", "credits" */
	int64_t updated_at; /* ms, the caller's clock */
} ps_store_budget;

/*
 * ps_store_budget_set - record (platform, account)'s budget at now,
 * replacing the last one.  account NULL means "".  remaining >= 0; quota
 * -1 when unknown; unit non-empty.
 */
int ps_store_budget_set(ps_store *st, ps_platform platform, const char *account,
			long remaining, long quota, const char *unit,
			int64_t now);

/*
 * ps_store_budget_list - every recorded budget, by platform then account,
 * into *out (*out_n of them; free with ps_store_budgets_free).
 */
int ps_store_budget_list(ps_store_budget **out, size_t *out_n, ps_store *st);

/* ps_store_budgets_free - free v's n budgets and v; NULL is fine. */
void ps_store_budgets_free(ps_store_budget *v, size_t n);

/* ------------------------------------------------------------------------ */
/* Brightpearl contact directory (see ps_bp_contact_changes)                 */

/*
 * One Brightpearl contact as the directory knows it.  Emails are kept in
 * lower case; when several contacts share an email the lowest id wins.
 * Rows belong to an account (brightpearl.account): a directory read for
 * one account is never used for another.
 */
typedef struct ps_store_contact {
	int64_t id;
	char *email;      /* lower case */
	char *first_name; /* NULL when unknown */
	char *last_name;
	char *telephone;
} ps_store_contact;

/* ps_store_contact_dispose - free c's strings and zero it; NULL is fine. */
void ps_store_contact_dispose(ps_store_contact *c);

/*
 * ps_store_contact_put - record (or refresh) the contact id with email
 * (any case; stored lower case) in account's directory.  A row for the
 * same email and a lower id is kept; a row for the same id under another
 * email is moved.  email NULL or "": the contact has none any more and
 * its row is removed.  Call it inside a transaction when recording many.
 */
int ps_store_contact_put(ps_store *st, const char *account, const char *email,
			 int64_t id, const char *first_name,
			 const char *last_name, const char *telephone);

/* ps_store_contact_find - the contact with email (any case) in account's
 * directory; PS_ENOTFOUND when there is none. */
int ps_store_contact_find(ps_store_contact *out, ps_store *st,
			  const char *account, const char *email);

/*
 * ps_store_contact_get - the contact with id in account's directory, with
 * its email; PS_ENOTFOUND when the directory does not hold it (deleted in
 * Brightpearl, no email any more, or not a customer).
 */
int ps_store_contact_get(ps_store_contact *out, ps_store *st,
			 const char *account, int64_t id);

/* ps_store_contact_count - how many contacts account's directory holds. */
int ps_store_contact_count(int64_t *out, ps_store *st, const char *account);

/* ps_store_contact_clear - forget account's directory (NULL: every one). */
int ps_store_contact_clear(ps_store *st, const char *account);

#endif
