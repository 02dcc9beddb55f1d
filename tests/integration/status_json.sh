#!/bin/sh
# `pearlsync status --json` with the real worker against the sandbox: the
# worker's state is one word (running, paused when every switched-on flow
# is paused, stale when the heartbeat is old but its process is there,
# stopped, never_started); each flow has enabled, paused, counts by state,
# last success, oldest pending, polls; each platform its auth state
# (auth_failed after a 401) and API budget.  The text output says the same.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
py=/usr/bin/python3
[ -x "$py" ] || { echo "SKIP: python3 not installed"; exit 77; }

# jq_ EXPR - evaluate a Python expression over the status document d
jq_() {
	"$ps" status --json >"$tmp/status.json" 2>"$tmp/err" || fail "status --json failed"
	"$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$tmp/status.json" "$1"
}

ok init
step="never started"
[ "$(jq_ 'd["worker"]["state"]')" = never_started ] || fail "state $(jq_ 'd["worker"]["state"]')"
[ "$(jq_ 'd["flows"]["order_import_bc"]["enabled"]')" = False ] || fail "orders enabled before setup"
ok status
expect_out "^worker: *never started"

start_sandbox
connect_sandbox
ok settings set sync.poll_interval_seconds 86400
sb_post bigcommerce/orders '{"billing_address":{"first_name":"N","last_name":"S","email":"nosku@example.com","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"NO-SUCH-SKU","quantity":1,"price":"5.00"}],"status_id":11}'
start_worker
failed() { jq_ 'd["flows"]["order_import_bc"]["counts"].get("failed", 0)'; }
wait_for failed 1

step="running"
now=$("$py" -c 'import time; print(int(time.time() * 1000))')
[ "$(jq_ 'd["worker"]["state"]')" = running ] || fail "state $(jq_ 'd["worker"]["state"]')"
[ "$(jq_ 'd["flows"]["order_import_bc"]["counts"]')" = "{'synced': 2, 'failed': 1}" ] ||
	fail "counts $(jq_ 'd["flows"]["order_import_bc"]["counts"]')"
[ "$(jq_ 'd["flows"]["order_import_bc"]["enabled"] and not d["flows"]["order_import_bc"]["paused"]')" = True ] || fail "enabled/paused"
[ "$(jq_ 'd["flows"]["order_import_bc"]["last_success_ms"] > 0')" = True ] || fail "no last success"
[ "$(jq_ 'd["flows"]["order_import_bc"]["oldest_pending_ms"]')" = None ] || fail "oldest pending though none pending"
[ "$(jq_ "d['flows']['order_import_bc']['next_poll_ms'] > $now + 80000000")" = True ] || fail "next poll $(jq_ 'd["flows"]["order_import_bc"]["next_poll_ms"]') not a day ahead"
[ "$(jq_ 'd["flows"]["inventory_export_bc"]["enabled"]')" = False ] || fail "inventory enabled"
[ "$(jq_ 'd["platforms"]["bigcommerce"]["auth"]')" = ok ] || fail "bigcommerce auth $(jq_ 'd["platforms"]["bigcommerce"]["auth"]')"
[ "$(jq_ 'd["platforms"]["bigcommerce"]["budgets"][0]["remaining"] > 0')" = True ] || fail "no budget"
[ "$(jq_ 'd["platforms"]["dsco"]["auth"]')" = unknown ] || fail "dsco auth"
[ "$(jq_ 'd["counts"]["order_import_bc"]["synced"]')" = 2 ] || fail "old counts member"
ok status
expect_out "^worker: *running (pid $worker_pid"
expect_out "^platforms: .*bigcommerce ok"

step="paused"
ok pause order_import_bc
[ "$(jq_ 'd["worker"]["state"]')" = running ] || fail "one of two flows paused: $(jq_ 'd["worker"]["state"]')"
ok pause status_export_bc
[ "$(jq_ 'd["flows"]["order_import_bc"]["paused"]')" = True ] || fail "order_import_bc not paused"
[ "$(jq_ 'd["worker"]["state"]')" = paused ] || fail "state $(jq_ 'd["worker"]["state"]')"
ok status
expect_out "^worker: *paused"
ok resume order_import_bc
ok resume status_export_bc

step="auth failed"
ok settings set bigcommerce.token wrong-token-1234
ok run order_import_bc
bc_auth() { jq_ 'd["platforms"]["bigcommerce"]["auth"]'; }
wait_for bc_auth auth_failed
[ "$(jq_ 'd["platforms"]["bigcommerce"]["auth_since_ms"] > 0')" = True ] || fail "no auth_since"
ok status
expect_out "^platforms: .*bigcommerce auth_failed"
grep -q "wrong-token" "$tmp/all-output" "$tmp/status.json" && fail "token printed"

step="stopped"
stop_worker
[ "$(jq_ 'd["worker"]["state"]')" = stopped ] || fail "state $(jq_ 'd["worker"]["state"]')"

step="stale"
# an old heartbeat of a process that is still there (this shell): hung
sleep 300 &
alive=$!
"$py" -c 'import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1]); c.execute("UPDATE heartbeat SET pid=?, beat_at=?, state=?", (int(sys.argv[2]), int(time.time()*1000) - 60000, "running")); c.commit()' "$db" "$alive"
[ "$(jq_ 'd["worker"]["state"]')" = stale ] || fail "state $(jq_ 'd["worker"]["state"]')"
ok status
expect_out "^worker: *stale"
kill "$alive"
wait "$alive" 2>/dev/null || :
# the same heartbeat once that process is gone: stopped (crashed)
[ "$(jq_ 'd["worker"]["state"]')" = stopped ] || fail "state $(jq_ 'd["worker"]["state"]')"
exit 0
