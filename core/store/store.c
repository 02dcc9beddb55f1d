/*
 * store.c - opening the database, migrations, transactions and the small
 * helpers every other file of core/store uses.
 *
 * The schema is a list of numbered migrations; PRAGMA user_version holds the
 * number of the last one applied.  A migration is never edited once
 * released: a change to the schema is a new entry at the end.  All pending
 * migrations run in one transaction taken with BEGIN IMMEDIATE, so two
 * processes opening an old file at once cannot both migrate it.
 */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Migration 1: settings, their history, mappings, cross-references, the
 * sync log and cursors.
 */
static const char migration_1[] =
	"CREATE TABLE settings ("
	" key TEXT PRIMARY KEY,"
	" value TEXT NOT NULL,"
	" updated_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE settings_history ("
	" id INTEGER PRIMARY KEY,"
	" version INTEGER NOT NULL,"
	" at INTEGER NOT NULL,"
	" key TEXT NOT NULL,"
	" old_value TEXT,"
	" new_value TEXT,"
	" actor TEXT NOT NULL);"
	"CREATE INDEX settings_history_key ON settings_history(key, id);"
	"CREATE INDEX settings_history_version ON settings_history(version);"
	"CREATE TABLE mappings ("
	" kind TEXT NOT NULL,"
	" direction TEXT NOT NULL,"
	" source TEXT NOT NULL," /* '' is the default row */
	" target TEXT NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" PRIMARY KEY (kind, direction, source)) WITHOUT ROWID;"
	"CREATE TABLE xrefs ("
	" id INTEGER PRIMARY KEY,"
	" entity TEXT NOT NULL,"
	" platform_a INTEGER NOT NULL,"
	" id_a TEXT NOT NULL,"
	" platform_b INTEGER NOT NULL,"
	" id_b TEXT NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" CHECK (platform_a < platform_b),"
	" UNIQUE (entity, platform_a, id_a, platform_b),"
	" UNIQUE (entity, platform_b, id_b, platform_a));"
	"CREATE TABLE log_entries ("
	" id INTEGER PRIMARY KEY,"
	" flow TEXT NOT NULL,"
	" dedupe_key TEXT NOT NULL UNIQUE,"
	" status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),"
	" order_number TEXT,"
	" total INTEGER,"
	" currency TEXT,"
	" shipping_method TEXT,"
	" shipment_status TEXT,"
	" inserted_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" synced_at INTEGER,"
	" next_attempt_at INTEGER,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" reason TEXT,"
	" error_code INTEGER NOT NULL DEFAULT 0,"
	" source_platform INTEGER NOT NULL,"
	" source_id TEXT,"
	" target_platform INTEGER NOT NULL,"
	" target_id TEXT,"
	" detail TEXT);"
	"CREATE INDEX log_status ON log_entries(status, id);"
	"CREATE INDEX log_flow ON log_entries(flow, id);"
	"CREATE INDEX log_flow_status ON log_entries(flow, status, id);"
	"CREATE INDEX log_due ON log_entries(next_attempt_at, id)"
	" WHERE next_attempt_at IS NOT NULL;"
	"CREATE INDEX log_order_number ON log_entries(order_number);"
	"CREATE INDEX log_source_id ON log_entries(source_id);"
	"CREATE INDEX log_target_id ON log_entries(target_id);"
	"CREATE INDEX log_counts ON log_entries(flow, status, updated_at);"
	"CREATE TABLE cursors ("
	" stream TEXT PRIMARY KEY,"
	" value TEXT NOT NULL,"
	" updated_at INTEGER NOT NULL) WITHOUT ROWID;";

/*
 * Migration 2: what passes between the processes (events, requests,
 * heartbeat) and what the dashboard reads (HTTP counters, platform cache).
 */
static const char migration_2[] =
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" platform INTEGER NOT NULL,"
	" topic TEXT NOT NULL,"
	" payload TEXT NOT NULL,"
	" received_at INTEGER NOT NULL,"
	" claimed_at INTEGER,"
	" processed_at INTEGER);"
	"CREATE INDEX events_open ON events(id) WHERE processed_at IS NULL;"
	"CREATE TABLE requests ("
	" id INTEGER PRIMARY KEY,"
	" kind INTEGER NOT NULL,"
	" argument TEXT,"
	" created_at INTEGER NOT NULL,"
	" claimed_at INTEGER,"
	" done_at INTEGER,"
	" result TEXT);"
	"CREATE INDEX requests_open ON requests(id) WHERE done_at IS NULL;"
	"CREATE TABLE heartbeat ("
	" one INTEGER PRIMARY KEY CHECK (one = 1),"
	" pid INTEGER NOT NULL,"
	" started_at INTEGER NOT NULL,"
	" beat_at INTEGER NOT NULL,"
	" state TEXT NOT NULL);"
	"CREATE TABLE http_counters ("
	" bucket INTEGER NOT NULL,"
	" platform INTEGER NOT NULL,"
	" endpoint TEXT NOT NULL,"
	" outcome TEXT NOT NULL,"
	" count INTEGER NOT NULL,"
	" PRIMARY KEY (bucket, platform, endpoint, outcome)) WITHOUT ROWID;"
	"CREATE TABLE cache ("
	" kind TEXT PRIMARY KEY,"
	" json TEXT NOT NULL,"
	" fetched_at INTEGER NOT NULL) WITHOUT ROWID;";

/*
 * Migration 3: substring search over the log (order number, reason, ids)
 * through an FTS5 trigram index kept in step by triggers; existing rows are
 * indexed by the rebuild.
 */
static const char migration_3[] =
	"CREATE VIRTUAL TABLE log_search USING fts5("
	" order_number, reason, source_id, target_id,"
	" content='log_entries', content_rowid='id', tokenize='trigram');"
	"CREATE TRIGGER log_search_ai AFTER INSERT ON log_entries BEGIN"
	" INSERT INTO log_search(rowid, order_number, reason, source_id,"
	"  target_id) VALUES (new.id, new.order_number, new.reason,"
	"  new.source_id, new.target_id);"
	" END;"
	"CREATE TRIGGER log_search_ad AFTER DELETE ON log_entries BEGIN"
	" INSERT INTO log_search(log_search, rowid, order_number, reason,"
	"  source_id, target_id) VALUES ('delete', old.id, old.order_number,"
	"  old.reason, old.source_id, old.target_id);"
	" END;"
	/* only when a searched column really changed: marking an entry
	 * synced or claimed must not rewrite its index entry */
	"CREATE TRIGGER log_search_au AFTER UPDATE OF order_number, reason,"
	" source_id, target_id ON log_entries"
	" WHEN old.order_number IS NOT new.order_number"
	"  OR old.reason IS NOT new.reason"
	"  OR old.source_id IS NOT new.source_id"
	"  OR old.target_id IS NOT new.target_id BEGIN"
	" INSERT INTO log_search(log_search, rowid, order_number, reason,"
	"  source_id, target_id) VALUES ('delete', old.id, old.order_number,"
	"  old.reason, old.source_id, old.target_id);"
	" INSERT INTO log_search(rowid, order_number, reason, source_id,"
	"  target_id) VALUES (new.id, new.order_number, new.reason,"
	"  new.source_id, new.target_id);"
	" END;"
	"INSERT INTO log_search(log_search) VALUES ('rebuild');";

/*
 * Migration 4: the Brightpearl contact directory, one row per contact of
 * an account (emails lower case).  The key leads with the email, so a
 * lookup is one search that meets the lowest id first; the unique id index
 * makes a contact seen under a new email replace its old row.
 */
static const char migration_4[] =
	"CREATE TABLE bp_contacts ("
	" account TEXT NOT NULL,"
	" email TEXT NOT NULL,"
	" id INTEGER NOT NULL,"
	" first_name TEXT,"
	" last_name TEXT,"
	" telephone TEXT,"
	" PRIMARY KEY (account, email, id)) WITHOUT ROWID;"
	"CREATE UNIQUE INDEX bp_contacts_id ON bp_contacts(account, id);";

/*
 * Migration 5: what pearlsync last wrote, per platform object and field
 * (DESIGN.md "Ownership and echo").  The value is kept as a 64-bit hash
 * (hex), so a 64 KiB staff-notes text costs a row of fixed size; a change
 * seen later that hashes to pearlsync's own last write is its echo.
 */
static const char migration_5[] =
	"CREATE TABLE written ("
	" platform INTEGER NOT NULL,"
	" object TEXT NOT NULL,"
	" object_id TEXT NOT NULL,"
	" field TEXT NOT NULL,"
	" value_hash TEXT NOT NULL,"
	" flow TEXT,"
	" written_at INTEGER NOT NULL,"
	" PRIMARY KEY (platform, object, object_id, field)) WITHOUT ROWID;";

/*
 * 6: events are typed.  The platform's plug-in decodes a delivery once
 * (platform.h, webhook_accept): what changed (object) and the ids, as a
 * comma-separated list of decimal ids.  Rows from before keep '' and are
 * read from their payload.
 */
static const char migration_6[] =
	"ALTER TABLE events ADD COLUMN object TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE events ADD COLUMN ids TEXT NOT NULL DEFAULT '';";

/*
 * 7: the API budget the limiter believes each (platform, account) has
 * left, in the platform's unit ("requests", "credits"), recorded by the
 * worker for the console (budgets.c).  Replaces the "<code>.rate_limit"
 * cache rows, which are dropped.
 */
static const char migration_7[] =
	"CREATE TABLE budgets ("
	" platform INTEGER NOT NULL,"
	" account TEXT NOT NULL,"
	" remaining INTEGER NOT NULL,"
	" quota INTEGER,"
	" unit TEXT NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" PRIMARY KEY (platform, account)) WITHOUT ROWID;"
	"DELETE FROM cache WHERE kind LIKE '%.rate!_limit' ESCAPE '!';";

/*
 * 8: what a decoded event says besides its ids (when the platform says
 * the change happened, and the new value it announces), and the webhook
 * registrations each plug-in's hooks_sync found (hooks.c), which replace
 * the "bc.webhooks" cache row.
 */
static const char migration_8[] =
	"ALTER TABLE events ADD COLUMN changed_at INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE events ADD COLUMN value TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE hooks ("
	" platform INTEGER NOT NULL,"
	" topic TEXT NOT NULL,"
	" hook_id TEXT NOT NULL,"
	" destination TEXT NOT NULL,"
	" active INTEGER NOT NULL,"
	" reactivated INTEGER NOT NULL,"
	" checked_at INTEGER NOT NULL,"
	" PRIMARY KEY (platform, topic, hook_id)) WITHOUT ROWID;"
	"DELETE FROM cache WHERE kind = 'bc.webhooks';";

/*
 * 9: the BigCommerce <-> Brightpearl flows' settings move under
 * "bigcommerce." ("orders.enabled" becomes "bigcommerce.orders.enabled"),
 * as DSCO's are under "dsco.".  Stored values and their history keep
 * their change-set versions, so a rollback across this migration puts
 * back the values under the new keys.  The list is fixed: it is the
 * catalogue's at version 8.
 */
#define PS_STORE__RENAMED_V9                                                   \
	"('orders.enabled','orders.import_statuses','orders.sync_statuses',"   \
	" 'orders.import_guests','orders.start_date',"                         \
	" 'orders.reference_prefix','defaults.channel_id',"                    \
	" 'defaults.warehouse_id','defaults.project_id',"                      \
	" 'defaults.lead_source_id','defaults.price_list_id',"                 \
	" 'defaults.order_status_id','defaults.nominal_code',"                 \
	" 'defaults.shipping_nominal_code','items.product_match_field',"       \
	" 'customers.auto_create','customers.update_existing',"                \
	" 'fulfilment.enabled','fulfilment.trigger',"                          \
	" 'fulfilment.trigger_status','notes.enabled',"                        \
	" 'notes.customer_message_field','notes.staff_notes_field',"           \
	" 'notes.bp_note_to_bc_field','payments.enabled',"                     \
	" 'payments.captured_only','inventory.enabled',"                       \
	" 'inventory.warehouses','inventory.interval_minutes')"
static const char migration_9[] =
	"UPDATE settings SET key = 'bigcommerce.' || key"
	" WHERE key IN " PS_STORE__RENAMED_V9 ";"
	"UPDATE settings_history SET key = 'bigcommerce.' || key"
	" WHERE key IN " PS_STORE__RENAMED_V9 ";";
#undef PS_STORE__RENAMED_V9

/*
 * 10: a log entry's kind and subject in their own columns (store.h,
 * ps_log_entry), set by the flow that records the entry; the dedupe key
 * stays the uniqueness key, its format unchanged.  Rows from before are
 * back-filled from the key shapes the flows have written:
 *
 *   bc:order:<id>:import                  order.import         <id>
 *   bc:order:<id>:status:<...>            order.status         <id>
 *   bc:order:<id>:notes:<...>             order.notes          <id>
 *   bc:order:<id>:address:<...>           order.address        <id>
 *   bc:order:<id>:<other>                 order.edit           <id>
 *     (updated:<time>, updated:ev<event>, unreadable:<hash>; a notes_bc
 *     entry of this shape, from when that flow also copied BigCommerce
 *     notes, is order.notes)
 *   bp:note:<id>:order:<order>:bc         note.copy            <id>, order
 *   bp:gon:<id>:shipment                  goods-out-note.ship  <id>
 *   bp:order:<id>:ship-on-status:<...>    order.ship           <id>
 *   bp:order:<id>:status:<...>            order.status         <id>
 *   bp:stock:<id>:ev<event>               product.stock        <id>
 *   inventory:reconcile:<ms>              inventory.reconcile  ''
 *
 * Other keys keep ''.  Each shape is split in two steps: the part after
 * the prefix goes to subject, then the next UPDATE (whose expressions
 * all read the row as it was) cuts it at its first ':'.
 */
static const char migration_10[] =
	"ALTER TABLE log_entries ADD COLUMN kind TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE log_entries ADD COLUMN subject TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE log_entries ADD COLUMN subject_order TEXT NOT NULL"
	" DEFAULT '';"
	"CREATE INDEX log_kind ON log_entries(kind, id);"
	/* bc:order:<id>:<change> */
	"UPDATE log_entries SET subject = substr(dedupe_key, 10)"
	" WHERE dedupe_key GLOB 'bc:order:[0-9]*:?*';"
	"UPDATE log_entries SET"
	" subject = substr(subject, 1, instr(subject, ':') - 1),"
	" kind = CASE"
	"  WHEN flow = 'notes_bc' THEN 'order.notes'"
	"  WHEN substr(subject, instr(subject, ':') + 1) = 'import'"
	"   THEN 'order.import'"
	"  WHEN substr(subject, instr(subject, ':') + 1) GLOB 'status:*'"
	"   THEN 'order.status'"
	"  WHEN substr(subject, instr(subject, ':') + 1) GLOB 'notes:*'"
	"   THEN 'order.notes'"
	"  WHEN substr(subject, instr(subject, ':') + 1) GLOB 'address:*'"
	"   THEN 'order.address'"
	"  ELSE 'order.edit' END"
	" WHERE dedupe_key GLOB 'bc:order:[0-9]*:?*';"
	/* bp:note:<id>:order:<order>:bc */
	"UPDATE log_entries SET subject = substr(dedupe_key, 9)"
	" WHERE dedupe_key GLOB 'bp:note:[0-9]*:order:[0-9]*:*';"
	"UPDATE log_entries SET kind = 'note.copy',"
	" subject = substr(subject, 1, instr(subject, ':') - 1),"
	" subject_order = substr(subject, instr(subject, ':order:') + 7,"
	"  instr(substr(subject, instr(subject, ':order:') + 7), ':') - 1)"
	" WHERE dedupe_key GLOB 'bp:note:[0-9]*:order:[0-9]*:*';"
	/* bp:gon:<id>:shipment */
	"UPDATE log_entries SET kind = 'goods-out-note.ship',"
	" subject = substr(dedupe_key, 8, instr(substr(dedupe_key, 8), ':')"
	"  - 1)"
	" WHERE dedupe_key GLOB 'bp:gon:[0-9]*:shipment';"
	/* bp:order:<id>:ship-on-status:<...>, bp:order:<id>:status:<...> */
	"UPDATE log_entries SET subject = substr(dedupe_key, 10)"
	" WHERE dedupe_key GLOB 'bp:order:[0-9]*:ship-on-status:*'"
	"  OR dedupe_key GLOB 'bp:order:[0-9]*:status:*';"
	"UPDATE log_entries SET"
	" subject = substr(subject, 1, instr(subject, ':') - 1),"
	" kind = CASE WHEN dedupe_key GLOB 'bp:order:*:ship-on-status:*'"
	"  THEN 'order.ship' ELSE 'order.status' END"
	" WHERE dedupe_key GLOB 'bp:order:[0-9]*:ship-on-status:*'"
	"  OR dedupe_key GLOB 'bp:order:[0-9]*:status:*';"
	/* bp:stock:<id>:ev<event> */
	"UPDATE log_entries SET kind = 'product.stock',"
	" subject = substr(dedupe_key, 10, instr(substr(dedupe_key, 10), ':')"
	"  - 1)"
	" WHERE dedupe_key GLOB 'bp:stock:[0-9]*:*';"
	/* inventory:reconcile:<ms> */
	"UPDATE log_entries SET kind = 'inventory.reconcile'"
	" WHERE dedupe_key GLOB 'inventory:reconcile:*';";

/*
 * 11: entries by (flow, status), kept by triggers, so `/metrics`, `status`
 * and the worker's STATUS= line read a handful of rows instead of counting
 * the log (a million rows take a full index scan per count).  A write of
 * the log costs one more small upsert; rows that reach 0 stay.
 */
static const char migration_11[] =
	"CREATE TABLE log_state_counts ("
	" flow TEXT NOT NULL,"
	" status INTEGER NOT NULL,"
	" n INTEGER NOT NULL,"
	" PRIMARY KEY (flow, status)) WITHOUT ROWID;"
	"INSERT INTO log_state_counts(flow, status, n)"
	" SELECT flow, status, COUNT(*) FROM log_entries GROUP BY flow, status;"
	"CREATE TRIGGER log_state_counts_ai AFTER INSERT ON log_entries BEGIN"
	" INSERT INTO log_state_counts(flow, status, n)"
	"  VALUES (new.flow, new.status, 1)"
	"  ON CONFLICT(flow, status) DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE TRIGGER log_state_counts_ad AFTER DELETE ON log_entries BEGIN"
	" UPDATE log_state_counts SET n = n - 1"
	"  WHERE flow = old.flow AND status = old.status;"
	" END;"
	"CREATE TRIGGER log_state_counts_au AFTER UPDATE OF flow, status"
	" ON log_entries"
	" WHEN old.flow IS NOT new.flow OR old.status IS NOT new.status BEGIN"
	" UPDATE log_state_counts SET n = n - 1"
	"  WHERE flow = old.flow AND status = old.status;"
	" INSERT INTO log_state_counts(flow, status, n)"
	"  VALUES (new.flow, new.status, 1)"
	"  ON CONFLICT(flow, status) DO UPDATE SET n = n + 1;"
	" END;";

/*
 * 12: the log by hour and flow, kept by triggers, for the anomaly alerts
 * (core/anomalies.c): "orders" counts the order imports first recorded in
 * the hour (kind 'order.import', by inserted_at), "synced" and "failed"
 * the entries that reached that state in the hour (by updated_at; an
 * entry failing again while failed is not counted twice).  Hours are
 * unix ms / 3600000 (UTC).  The last 60 days are back-filled from the
 * log's current states.  A bucket costs one row per active flow and hour;
 * the alerts read a few dozen of them, never the log.
 */
static const char migration_12[] =
	"CREATE TABLE log_hourly ("
	" hour INTEGER NOT NULL,"
	" flow TEXT NOT NULL,"
	" orders INTEGER NOT NULL DEFAULT 0,"
	" synced INTEGER NOT NULL DEFAULT 0,"
	" failed INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (hour, flow)) WITHOUT ROWID;"
	"INSERT INTO log_hourly(hour, flow, orders)"
	" SELECT inserted_at / 3600000, flow, SUM(kind = 'order.import')"
	" FROM log_entries"
	" WHERE inserted_at >= (CAST(strftime('%s', 'now') AS INTEGER)"
	"  - 60 * 86400) * 1000"
	" GROUP BY 1, 2;"
	"INSERT INTO log_hourly(hour, flow, synced, failed)"
	" SELECT updated_at / 3600000, flow, SUM(status = 2), SUM(status = 3)"
	" FROM log_entries WHERE status IN (2, 3)"
	" AND updated_at >= (CAST(strftime('%s', 'now') AS INTEGER)"
	"  - 60 * 86400) * 1000"
	" GROUP BY 1, 2 HAVING 1"
	" ON CONFLICT(hour, flow) DO UPDATE SET synced = excluded.synced,"
	"  failed = excluded.failed;"
	"CREATE TRIGGER log_hourly_ai AFTER INSERT ON log_entries BEGIN"
	" INSERT INTO log_hourly(hour, flow, orders, synced, failed)"
	"  VALUES (new.inserted_at / 3600000, new.flow,"
	"  new.kind = 'order.import', new.status = 2, new.status = 3)"
	"  ON CONFLICT(hour, flow) DO UPDATE SET"
	"  orders = orders + excluded.orders,"
	"  synced = synced + excluded.synced,"
	"  failed = failed + excluded.failed;"
	" END;"
	"CREATE TRIGGER log_hourly_au AFTER UPDATE OF status ON log_entries"
	" WHEN old.status IS NOT new.status AND new.status IN (2, 3) BEGIN"
	" INSERT INTO log_hourly(hour, flow, synced, failed)"
	"  VALUES (new.updated_at / 3600000, new.flow, new.status = 2,"
	"  new.status = 3)"
	"  ON CONFLICT(hour, flow) DO UPDATE SET"
	"  synced = synced + excluded.synced,"
	"  failed = failed + excluded.failed;"
	" END;";

/*
 * 13: the per-record audit trail (audit.c, pearlsync/audit.h): events,
 * attempts with the settings version in force, request summaries and
 * operator requests, one row each; and the log's subject columns indexed
 * so one order's entries are found without a scan.
 */
static const char migration_13[] =
	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY,"
	" kind INTEGER NOT NULL,"
	" at INTEGER NOT NULL,"
	" ended_at INTEGER,"
	" entry_id INTEGER,"
	" attempt_id INTEGER,"
	" attempt INTEGER NOT NULL DEFAULT 0,"
	" platform INTEGER NOT NULL DEFAULT -1,"
	" flow TEXT,"
	" what TEXT,"
	" object TEXT,"
	" ref TEXT,"
	" outcome TEXT,"
	" reason TEXT,"
	" settings_version INTEGER,"
	" status INTEGER NOT NULL DEFAULT 0,"
	" duration_ms INTEGER NOT NULL DEFAULT 0,"
	" bytes INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX audit_entry ON audit(entry_id, id)"
	" WHERE entry_id IS NOT NULL;"
	"CREATE INDEX audit_event ON audit(platform, ref) WHERE kind = 1;"
	"CREATE INDEX audit_request ON audit(attempt_id, id) WHERE kind = 4;"
	"CREATE INDEX audit_at ON audit(at);"
	"CREATE INDEX log_subject ON log_entries(source_platform, subject)"
	" WHERE subject <> '';"
	"CREATE INDEX log_subject_order ON log_entries(source_platform,"
	" subject_order) WHERE subject_order <> '';";

/*
 * 14: entries by quarter hour of their last update, flow and status, kept
 * by triggers, so the console's "today" figures (entries updated since
 * local midnight, by current status) read a few hundred rows instead of
 * counting the day's part of the log on every refresh.  An entry sits in
 * the bucket of its updated_at with its current status; a write that
 * moves it takes 1 from the old bucket and adds 1 to the new one, so the
 * sum over buckets from a quarter q on is exactly the entries updated
 * since q.  Quarters, not hours: every time zone's midnight falls on a
 * quarter hour (UTC+5:45 and +12:45 included).  Buckets older than 7 days
 * than the entry being inserted are dropped as entries arrive (one seek on
 * the key); a later move out of a dropped bucket finds no row and changes
 * nothing.  Back-filled from the last 7 days of the log.
 */
static const char migration_14[] =
	"CREATE TABLE log_recent ("
	" quarter INTEGER NOT NULL,"
	" flow TEXT NOT NULL,"
	" status INTEGER NOT NULL,"
	" n INTEGER NOT NULL,"
	" PRIMARY KEY (quarter, flow, status)) WITHOUT ROWID;"
	"INSERT INTO log_recent(quarter, flow, status, n)"
	" SELECT updated_at / 900000, flow, status, COUNT(*) FROM log_entries"
	" WHERE updated_at >= (CAST(strftime('%s', 'now') AS INTEGER)"
	"  - 7 * 86400) * 1000"
	" GROUP BY 1, 2, 3;"
	"CREATE TRIGGER log_recent_ai AFTER INSERT ON log_entries BEGIN"
	" DELETE FROM log_recent WHERE quarter < new.updated_at / 900000 - 672;"
	" INSERT INTO log_recent(quarter, flow, status, n)"
	"  VALUES (new.updated_at / 900000, new.flow, new.status, 1)"
	"  ON CONFLICT(quarter, flow, status) DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE TRIGGER log_recent_ad AFTER DELETE ON log_entries BEGIN"
	" UPDATE log_recent SET n = n - 1"
	"  WHERE quarter = old.updated_at / 900000 AND flow = old.flow"
	"  AND status = old.status;"
	" END;"
	"CREATE TRIGGER log_recent_au AFTER UPDATE OF flow, status, updated_at"
	" ON log_entries"
	" WHEN old.flow IS NOT new.flow OR old.status IS NOT new.status"
	"  OR old.updated_at / 900000 IS NOT new.updated_at / 900000 BEGIN"
	" UPDATE log_recent SET n = n - 1"
	"  WHERE quarter = old.updated_at / 900000 AND flow = old.flow"
	"  AND status = old.status;"
	" INSERT INTO log_recent(quarter, flow, status, n)"
	"  VALUES (new.updated_at / 900000, new.flow, new.status, 1)"
	"  ON CONFLICT(quarter, flow, status) DO UPDATE SET n = n + 1;"
	" END;";

/* clang-format off */
static const char *const migrations[] = {
	migration_1, migration_2, migration_3, migration_4,
	migration_5, migration_6, migration_7, migration_8,
	migration_9, migration_10, migration_11, migration_12,
	migration_13, migration_14};
/* clang-format on */

_Static_assert(PS__ARRAY_LEN(migrations) == PS_STORE_SCHEMA_VERSION,
	       "one migration per schema version");

int
ps_store__migration_count(void)
{
	return (int)PS__ARRAY_LEN(migrations);
}

int
ps_store__error(ps_store *st, int rc, const char *what)
{
	const char *msg =
		st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
	const char *path = st && st->path ? st->path : "";
	int code;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return ps_error_set(
			PS_EBUSY,
			"%s: database %s is busy (another pearlsync "
			"process is writing); try again",
			what, path);
	case SQLITE_NOMEM:
		return ps_error_set(PS_ENOMEM, "%s: out of memory", what);
	case SQLITE_CONSTRAINT:
		code = PS_EEXISTS;
		break;
	case SQLITE_READONLY:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		code = PS_EIO;
		break;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return ps_error_set(PS_ESTORE,
				    "%s: %s is not a usable pearlsync database "
				    "(%s)",
				    what, path, msg);
	default:
		code = PS_ESTORE;
		break;
	}
	return ps_error_set(code, "%s: %s (database %s)", what, msg, path);
}

int
ps_store__exec(ps_store *st, const char *sql, const char *what)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return ps_store__error(st, rc, what);
	return 0;
}

int
ps_store__exec_sql(ps_store *st, const char *sql)
{
	return ps_store__exec(st, sql, "test SQL");
}

int
ps_store__prepare(sqlite3_stmt **out, ps_store *st, const char *sql)
{
	struct ps_store__stmt *slot;
	sqlite3_stmt *stmt = NULL;
	char *copy;
	size_t i;
	int rc;

	*out = NULL;
	/*
	 * A statement still being stepped (a foreach whose callback calls back
	 * into the store with the same query) is left alone and a second copy
	 * is prepared, so re-entry never resets the outer walk.
	 */
	for (i = 0; i < st->nstmts; i++) {
		if (strcmp(st->stmts[i].sql, sql) == 0 &&
		    !sqlite3_stmt_busy(st->stmts[i].stmt)) {
			sqlite3_reset(st->stmts[i].stmt);
			sqlite3_clear_bindings(st->stmts[i].stmt);
			*out = st->stmts[i].stmt;
			return 0;
		}
	}
	if (st->nstmts == st->capstmts) {
		size_t cap = st->capstmts ? st->capstmts * 2 : 32;
		slot = realloc(st->stmts, cap * sizeof(*slot));
		if (slot == NULL)
			return ps_error_set(PS_ENOMEM, "out of memory");
		st->stmts = slot;
		st->capstmts = cap;
	}
	rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
				&stmt, NULL);
	if (rc != SQLITE_OK)
		return ps_store__error(st, rc, "preparing a query");
	copy = ps_util__strdup(sql);
	if (copy == NULL) {
		sqlite3_finalize(stmt);
		return ps_error_set(PS_ENOMEM, "out of memory");
	}
	st->stmts[st->nstmts].sql = copy;
	st->stmts[st->nstmts].stmt = stmt;
	st->nstmts++;
	*out = stmt;
	return 0;
}

int
ps_store__bind_text(ps_store *st, sqlite3_stmt *s, int i, const char *v)
{
	int rc = v ? sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT)
		   : sqlite3_bind_null(s, i);

	return rc == SQLITE_OK ? 0 : ps_store__error(st, rc, "binding a value");
}

int
ps_store__bind_int64(ps_store *st, sqlite3_stmt *s, int i, int64_t v)
{
	int rc = sqlite3_bind_int64(s, i, v);

	return rc == SQLITE_OK ? 0 : ps_store__error(st, rc, "binding a value");
}

int
ps_store__bind_time(ps_store *st, sqlite3_stmt *s, int i, int64_t v)
{
	int rc = v ? sqlite3_bind_int64(s, i, v) : sqlite3_bind_null(s, i);

	return rc == SQLITE_OK ? 0 : ps_store__error(st, rc, "binding a value");
}

int
ps_store__step_done(ps_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	int error = 0;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		error = ps_store__error(st, rc, what);
	sqlite3_reset(s);
	return error;
}

int
ps_store__column_dup(char **out, sqlite3_stmt *s, int i)
{
	const unsigned char *text = sqlite3_column_text(s, i);

	*out = NULL;
	if (text == NULL) {
		if (sqlite3_column_type(s, i) != SQLITE_NULL)
			return ps_error_set(PS_ENOMEM, "out of memory");
		return 0;
	}
	*out = ps_util__strdup((const char *)text);
	if (*out == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	return 0;
}

int
ps_store__check_name(const char *value, const char *what)
{
	if (value == NULL || value[0] == '\0')
		return ps_error_set(PS_EINVAL, "%s must not be empty", what);
	return 0;
}

/* The file's user_version into *out. */
static int
read_version(int *out, ps_store *st)
{
	sqlite3_stmt *s = NULL;
	int rc, error = 0;

	rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return ps_store__error(st, rc, "reading the schema version");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(s, 0);
	else
		error = ps_store__error(st, rc, "reading the schema version");
	sqlite3_finalize(s);
	return error;
}

/*
 * Bring the schema up to target inside one immediate transaction.  The
 * version is read again under the lock: another process may have migrated
 * the file meanwhile.
 */
static int
migrate(ps_store *st, int target)
{
	char sql[64];
	int version = 0, v, error;

	if ((error = ps_store_begin(st)) < 0)
		return error;
	if ((error = read_version(&version, st)) < 0)
		goto done;
	if (version > ps_store__migration_count()) {
		error = ps_error_set(PS_EVERSION,
				     "database %s has schema version %d, newer "
				     "than this pearlsync understands (%d); "
				     "upgrade pearlsync",
				     st->path, version,
				     ps_store__migration_count());
		goto done;
	}
	for (v = version + 1; v <= target; v++) {
		if ((error = ps_store__exec(st, migrations[v - 1],
					    "applying a schema migration")) < 0)
			goto done;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
		if ((error = ps_store__exec(
			     st, sql, "recording the schema version")) < 0)
			goto done;
	}
	error = ps_store_commit(st);
	return error;
done:
	ps_store_rollback(st);
	return error;
}

/*
 * Create the file (mode 0600) before SQLite does, so it never exists with
 * the umask's wider mode, and tighten a file someone else created.
 *
 * Nothing here may open and close a descriptor of an existing database:
 * closing any descriptor of a file drops every POSIX lock this process
 * holds on it, including those of a live SQLite connection (the worker's,
 * when its listener opens a second one), and another process would then
 * checkpoint and delete the WAL that connection still uses.  So an
 * existing file is only stat()ed and chmod()ed by path, and a descriptor
 * is opened only with O_EXCL, on a file this call creates: a new inode
 * on which no connection can hold a lock.
 */
static int
prepare_file(const char *path, unsigned flags)
{
	struct stat sb;
	int fd, tries;

	for (tries = 0; tries < 2; tries++) {
		if (stat(path, &sb) == 0) {
			if (flags & PS_STORE_OPEN_READONLY)
				return 0;
			if ((sb.st_mode & 0077) != 0 && chmod(path, 0600) != 0)
				return ps_error_set(
					PS_EIO,
					"cannot restrict %s to mode 0600: %s",
					path, strerror(errno));
			return 0;
		}
		if (errno != ENOENT)
			return ps_error_set(PS_EIO, "database %s: %s", path,
					    strerror(errno));
		if (flags & (PS_STORE_OPEN_READONLY | PS_STORE_OPEN_NO_CREATE))
			return ps_error_set(PS_ENOTFOUND,
					    "database %s does not exist", path);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			close(fd); /* a new inode: no lock of ours is on it */
			return 0;
		}
		if (errno != EEXIST) /* EEXIST: created meanwhile, stat it */
			return ps_error_set(PS_EIO,
					    "cannot create database %s: %s",
					    path, strerror(errno));
	}
	return ps_error_set(PS_EIO,
			    "database %s: created and removed while "
			    "opening it",
			    path);
}

static int
open_store(ps_store **out, const char *path, unsigned flags, int target)
{
	ps_store *st = NULL;
	int version = 0, rc, error = 0;
	int oflags;

	if (out == NULL)
		return ps_error_set(PS_EINVAL, "ps_store_open: out is NULL");
	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return ps_error_set(PS_EINVAL, "database path is empty");
	if ((error = prepare_file(path, flags)) < 0)
		return error;

	st = calloc(1, sizeof(*st));
	if (st == NULL || (st->path = ps_util__strdup(path)) == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto done;
	}
	st->readonly = (flags & PS_STORE_OPEN_READONLY) != 0;
	oflags = st->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	rc = sqlite3_open_v2(path, &st->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		error = ps_store__error(st, rc, "opening the database");
		goto done;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, PS_STORE_BUSY_TIMEOUT_MS);
	/* 16 MiB of page cache: the log's indexes stay in memory while the
	 * console pages and filters a large log; deleted content is
	 * overwritten, so an erased secret leaves no bytes behind */
	if ((error = ps_store__exec(st,
				    "PRAGMA foreign_keys = ON;"
				    " PRAGMA secure_delete = ON;"
				    " PRAGMA cache_size = -16384",
				    "configuring the database")) < 0)
		goto done;
	if (!st->readonly &&
	    ((error = ps_store__exec(st, "PRAGMA journal_mode = WAL",
				     "switching to WAL journal")) < 0 ||
	     (error = ps_store__exec(st, "PRAGMA synchronous = NORMAL",
				     "configuring the database")) < 0))
		goto done;
	if ((error = read_version(&version, st)) < 0)
		goto done;
	if (version > ps_store__migration_count()) {
		error = ps_error_set(PS_EVERSION,
				     "database %s has schema version %d, newer "
				     "than this pearlsync understands (%d); "
				     "upgrade pearlsync",
				     path, version,
				     ps_store__migration_count());
		goto done;
	}
	if (!st->readonly && version < target &&
	    (error = migrate(st, target)) < 0)
		goto done;
	*out = st;
	st = NULL;
done:
	ps_store_close(st);
	return error;
}

int
ps_store_open(ps_store **out, const char *path, unsigned flags)
{
	return open_store(out, path, flags, ps_store__migration_count());
}

int
ps_store__open_at_version(ps_store **out, const char *path, int version)
{
	if (version < 0 || version > ps_store__migration_count())
		return ps_error_set(PS_EINVAL, "no schema version %d", version);
	return open_store(out, path, 0, version);
}

int
ps_store__set_busy_timeout(ps_store *st, int ms)
{
	return sqlite3_busy_timeout(st->db, ms) == SQLITE_OK ? 0 : PS_ESTORE;
}

void
ps_store_release_memory(ps_store *st)
{
	if (st != NULL && st->db != NULL)
		sqlite3_db_release_memory(st->db);
}

void
ps_store_close(ps_store *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nstmts; i++) {
		sqlite3_finalize(st->stmts[i].stmt);
		free(st->stmts[i].sql);
	}
	free(st->stmts);
	if (st->db != NULL) {
		if (st->depth > 0)
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(st->db);
	}
	free(st->path);
	free(st);
}

int
ps_store_page_cache_set(ps_store *st, int kib)
{
	char sql[48];

	if (st == NULL || kib < 64)
		return ps_error_set(PS_EINVAL, "ps_store_page_cache_set: %s",
				    st == NULL ? "st is NULL"
					       : "fewer than 64 KiB");
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d", kib);
	return ps_store__exec(st, sql, "sizing the page cache");
}

int
ps_store_schema_version(int *out, ps_store *st)
{
	if (out == NULL || st == NULL)
		return ps_error_set(PS_EINVAL, "ps_store_schema_version: NULL");
	return read_version(out, st);
}

/*
 * Nesting: the outermost level is a real transaction, taken IMMEDIATE so
 * the write lock is acquired (or PS_EBUSY reported) at begin rather than
 * at the first write, where a deadlock between two readers upgrading could
 * only be resolved by failing.  Inner levels are savepoints named by depth.
 */
int
ps_store_begin(ps_store *st)
{
	char sql[32];
	int error;

	if (st == NULL)
		return ps_error_set(PS_EINVAL, "ps_store_begin: store is NULL");
	if (st->depth == 0) {
		error = ps_store__exec(
			st, st->readonly ? "BEGIN" : "BEGIN IMMEDIATE",
			"starting a transaction");
	} else {
		snprintf(sql, sizeof(sql), "SAVEPOINT ps_%d", st->depth);
		error = ps_store__exec(st, sql, "starting a savepoint");
	}
	if (error == 0)
		st->depth++;
	return error;
}

int
ps_store_commit(ps_store *st)
{
	char sql[32];
	int error;

	if (st == NULL || st->depth == 0)
		return ps_error_set(PS_EINVAL, "commit without a transaction");
	if (st->depth == 1) {
		error = ps_store__exec(st, "COMMIT", "committing");
		if (error < 0)
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		st->depth = 0;
		return error;
	}
	snprintf(sql, sizeof(sql), "RELEASE ps_%d", st->depth - 1);
	error = ps_store__exec(st, sql, "releasing a savepoint");
	st->depth--;
	return error;
}

int
ps_store_rollback(ps_store *st)
{
	char sql[64];
	int error;

	if (st == NULL || st->depth == 0)
		return ps_error_set(PS_EINVAL,
				    "rollback without a transaction");
	if (st->depth == 1) {
		/* SQLite may already have rolled back (e.g. after SQLITE_FULL)
		 */
		error = sqlite3_get_autocommit(st->db)
				? 0
				: ps_store__exec(st, "ROLLBACK",
						 "rolling back");
		st->depth = 0;
		return error;
	}
	snprintf(sql, sizeof(sql), "ROLLBACK TO ps_%d; RELEASE ps_%d",
		 st->depth - 1, st->depth - 1);
	error = ps_store__exec(st, sql, "rolling back a savepoint");
	st->depth--;
	return error;
}

int
ps_store_in_transaction(const ps_store *st)
{
	return st ? st->depth : 0;
}
