#!/bin/sh
# log_totals.sh - the totals the schema keeps beside the sync log (what
# the console's dashboard, `status` and `/metrics` read instead of
# counting the log) equal a COUNT over the log after a mixed workload
# through the real worker (listener on) and the sandbox:
#   log_state_counts  entries by (flow, status)
#   log_recent        entries by (quarter hour of updated_at, flow, status)
#   log_hourly        order imports by (hour of inserted_at, flow)
# The workload: orders imported; imports failed twice over (a SKU
# Brightpearl lacks, Brightpearl answering 500); the operator's retry of
# every failed entry, once with the SKU still unknown (failed again) and
# once after mapping it; `forget` redacting a customer; entries last
# written days ago (moved across quarter hours) then redacted by the
# retention sweep while log.audit_keep_days prunes the audit trail; and
# imports left pending by Brightpearl answering 503.  Each step's outcome
# is read from the sandbox (the orders Brightpearl holds); the totals are
# compared with the worker running (each comparison is one statement,
# one snapshot) and once more after it stopped.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }

q() { sqlite3 -cmd ".timeout 5000" "$db" "$1"; }
bp_count() { bp_refs | wc -l | tr -d ' '; }
# order SKU EMAIL - a BigCommerce order of one line
order() {
	sb_post bigcommerce/orders '{"billing_address":{"first_name":"To","last_name":"Tals","email":"'"$2"'","street_1":"1 Sum St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"'"$1"'","quantity":1,"price":"9.95"}],"status_id":11}'
}
failed_imports() { q "SELECT COUNT(*) FROM log_entries WHERE kind = 'order.import' AND status = 3"; }

# mismatch A B - how many rows one of two row sets has and the other
# lacks, in one statement (one read snapshot)
mismatch() {
	q "SELECT (SELECT COUNT(*) FROM ($1 EXCEPT $2)) + (SELECT COUNT(*) FROM ($2 EXCEPT $1))"
}
check_totals() {
	m=$(mismatch "SELECT flow, status, n FROM log_state_counts WHERE n <> 0" \
		"SELECT flow, status, COUNT(*) FROM log_entries GROUP BY 1, 2")
	[ "$m" = 0 ] || fail "$1: log_state_counts differs from the log: $(q "SELECT flow, status, n FROM log_state_counts") / $(q "SELECT flow, status, COUNT(*) FROM log_entries GROUP BY 1, 2")"
	m=$(mismatch "SELECT quarter, flow, status, n FROM log_recent WHERE n <> 0" \
		"SELECT updated_at / 900000, flow, status, COUNT(*) FROM log_entries GROUP BY 1, 2, 3")
	[ "$m" = 0 ] || fail "$1: log_recent differs from the log: $(q "SELECT * FROM log_recent WHERE n <> 0") / $(q "SELECT updated_at / 900000, flow, status, COUNT(*) FROM log_entries GROUP BY 1, 2, 3")"
	m=$(mismatch "SELECT hour, flow, orders FROM log_hourly WHERE orders <> 0" \
		"SELECT inserted_at / 3600000, flow, COUNT(*) FROM log_entries WHERE kind = 'order.import' GROUP BY 1, 2")
	[ "$m" = 0 ] || fail "$1: log_hourly's orders differ from the log"
	# the console's "today": the buckets from local midnight on
	day=$(python3 -c 'import time; t = time.localtime(); print(int(time.mktime((t[0], t[1], t[2], 0, 0, 0, 0, 0, -1))) * 1000)')
	m=$(mismatch "SELECT flow, status, SUM(n) FROM log_recent WHERE quarter >= $day / 900000 GROUP BY 1, 2 HAVING SUM(n) <> 0" \
		"SELECT flow, status, COUNT(*) FROM log_entries WHERE updated_at >= $day GROUP BY 1, 2")
	[ "$m" = 0 ] || fail "$1: today's totals differ from the log"
}

start_sandbox
connect_sandbox
ok mappings set-default payment_method 'bc>bp' BIGCOMMERCE
# a poll at the start, then webhooks
ok settings set sync.poll_interval_seconds 86400

step="imports"
start_worker
wait_for bp_count 2 # the demo store's orders
for k in 1 2 3 4 5 6; do
	order MUG-LOGO "buyer$k@example.com"
done
wait_for bp_count 8
check_totals "after the imports"

step="failures: unknown SKU, Brightpearl down"
order OLD-MUG-1 old1@example.com
order OLD-MUG-1 old2@example.com
wait_for failed_imports 2
sb_post faults '{"platform":"brightpearl","rate":1,"kinds":["500"],"seed":1}'
order CAP-BLK down1@example.com
order CAP-BLK down2@example.com
wait_for failed_imports 4
[ "$(bp_count)" = 8 ] || fail "a failed order reached Brightpearl"
check_totals "after the failures"

step="retry, the SKU still unknown"
sb_post faults '{"platform":"brightpearl","rate":0}'
ok retry --failed
wait_for bp_count 10
wait_for failed_imports 2
check_totals "after the first retry"

step="retry after mapping the SKU"
ok mappings set product 'bc>bp' OLD-MUG-1 MUG-LOGO
ok retry --failed
wait_for bp_count 12
wait_for failed_imports 0
check_totals "after the second retry"

step="forget"
ok forget --email buyer1@example.com
check_totals "after forget"

step="retention and audit pruning"
stop_worker
# half the entries were last written three days ago (other quarter
# hours), each naming a customer the retention sweep redacts
old=$(($(date +%s) * 1000 - 3 * 86400000))
q "UPDATE log_entries SET detail = coalesce(detail, '') || ' (customer aged@example.com)', updated_at = $old + id WHERE id % 2 = 0"
q "UPDATE audit SET at = at - 40 * 86400000 WHERE id % 3 = 0"
check_totals "after aging"
ok settings set privacy.retention_days 1
ok settings set log.audit_keep_days 30
start_worker
aged() { q "SELECT COUNT(*) FROM log_entries WHERE instr(detail, 'aged@example.com') > 0"; }
wait_for aged 0
pruned() { q "SELECT COUNT(*) FROM audit WHERE at < (strftime('%s','now') - 30 * 86400) * 1000"; }
wait_for pruned 0
check_totals "after the retention sweep"

step="pending: Brightpearl unavailable"
sb_post faults '{"platform":"brightpearl","rate":1,"kinds":["503"],"seed":2}'
order CAP-BLK wait1@example.com
order CAP-BLK wait2@example.com
# recorded, claimed and put back (pending or in flight, never synced)
waiting() { q "SELECT COUNT(*) FROM log_entries WHERE kind = 'order.import' AND status IN (0, 1)"; }
wait_for waiting 2
[ "$(bp_count)" = 12 ] || fail "an order went through a 503"
check_totals "with entries pending"
sb_post faults '{"platform":"brightpearl","rate":0}'
stop_worker
check_totals "at the end"
check_sanitizers
echo "PASS"
