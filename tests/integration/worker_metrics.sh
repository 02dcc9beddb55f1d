#!/bin/sh
# /metrics and /healthz of the real worker (listener on) against the
# sandbox, read with a real Prometheus text parser (python3-prometheus-
# client): after the demo's orders are imported and one order with an
# unknown SKU fails, the entries by flow and state equal Brightpearl's
# orders in the sandbox and the log's own counts, the requests by platform
# equal what the sandbox received, webhook deliveries are counted; the
# endpoints take GET and HEAD only.  /healthz says ok, then 503 naming
# the platform when BigCommerce answers 401 (a wrong token), ok again
# when the token is right, and 503 "heartbeat: stale" while the database
# is locked so the worker cannot beat.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
py=/usr/bin/python3
parser="$PS_SOURCE_DIR/tests/integration/fixtures/svc/prom_samples.py"
[ -x "$py" ] || { echo "SKIP: python3 not installed"; exit 77; }
"$py" -c 'import prometheus_client' 2>/dev/null ||
	{ echo "SKIP: python3-prometheus-client not installed"; exit 77; }

start_sandbox
connect_sandbox
ok settings set sync.poll_interval_seconds 86400
# an order whose SKU Brightpearl does not know: its import fails
sb_post bigcommerce/orders '{"billing_address":{"first_name":"N","last_name":"S","email":"nosku@example.com","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"NO-SUCH-SKU","quantity":1,"price":"5.00"}],"status_id":11}'
# sb_requests PLATFORM - requests the sandbox received for PLATFORM
sb_requests() {
	curl -s "$control/requests" | "$py" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]]["total"])' "$1"
}
# what the command line sent before the worker starts (settings set checks
# ids against the live lists): the worker's own count starts after it
base_brightpearl=$(sb_requests brightpearl)
base_bigcommerce=$(sb_requests bigcommerce)
start_worker
base="http://127.0.0.1:$port"

# scrape - /metrics parsed into $tmp/samples ("NAME LABELS VALUE")
scrape() {
	curl -sf "$base/metrics" >"$tmp/metrics" || fail "GET /metrics failed"
	"$py" "$parser" <"$tmp/metrics" >"$tmp/samples" ||
		fail "the parser refused /metrics: $(head -c 600 "$tmp/metrics")"
}
# sample NAME LABELS - its value (empty when absent) from the last scrape
sample() { awk -v n="$1" -v l="$2" '$1 == n && $2 == l { print $3 }' "$tmp/samples"; }
failed_entries() { scrape; sample pearlsync_entries "flow=order_import_bc,state=failed"; }
bp_count() { bp_refs | wc -l | tr -d ' '; }
# status_count FLOW STATE - from `pearlsync status --json` (counts the log)
status_count() {
	"$ps" status --json | "$py" -c 'import json,sys; d=json.load(sys.stdin); print(d["counts"].get(sys.argv[1], {}).get(sys.argv[2], 0))' "$1" "$2"
}

step="entries"
wait_for bp_count 2
wait_for failed_entries 1
scrape
[ "$(sample pearlsync_entries "flow=order_import_bc,state=synced")" = "$(bp_count)" ] ||
	fail "synced $(sample pearlsync_entries "flow=order_import_bc,state=synced"), Brightpearl has $(bp_count) orders"
for state in pending in_flight synced failed; do
	want=$(status_count order_import_bc "$state")
	got=$(sample pearlsync_entries "flow=order_import_bc,state=$state")
	[ "${got:-0}" = "$want" ] || fail "entries $state: metrics ${got:-none}, log $want"
done
[ "$(sample pearlsync_oldest_pending_age_seconds flow=order_import_bc)" = 0 ] ||
	fail "oldest pending age $(sample pearlsync_oldest_pending_age_seconds flow=order_import_bc), none pending"
[ "$(sample pearlsync_worker_up -)" = 1 ] || fail "worker_up not 1"
[ "$(sample pearlsync_store_up -)" = 1 ] || fail "store_up not 1"
grep -q "^pearlsync_heartbeat_age_seconds - " "$tmp/samples" || fail "no heartbeat age"
grep -q "^pearlsync_api_budget_remaining account=[^ ]*,platform=bigcommerce,unit=[a-z]* [0-9]" "$tmp/samples" ||
	fail "no BigCommerce budget"

step="requests"
# our_requests PLATFORM - the worker's attempts to PLATFORM, all outcomes
our_requests() {
	scrape
	awk -v p="platform=$1" '$1 == "pearlsync_http_requests_total" && $2 ~ p"$" { n += $3 } END { print n + 0 }' "$tmp/samples"
}
for p in brightpearl bigcommerce; do
	eval "b=\$base_$p"
	want=$(($(sb_requests "$p") - b))
	[ "$want" -gt 0 ] || fail "the sandbox saw no $p request from the worker"
	wait_for "our_requests $p" "$want"
done
[ "$(sample pearlsync_http_throttles_total platform=bigcommerce)" = 0 ] || fail "throttles counted"

step="webhook deliveries"
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{}' "$base/webhooks/bigcommerce" || :
scrape
[ "$(sample pearlsync_webhook_deliveries_total platform=bigcommerce,result=refused)" = 1 ] ||
	fail "refused deliveries: $(sample pearlsync_webhook_deliveries_total platform=bigcommerce,result=refused)"

step="methods"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code -X POST "$base/metrics")" = 405 ] || fail "POST /metrics not 405"
[ "$(code -X DELETE "$base/healthz")" = 405 ] || fail "DELETE /healthz not 405"
[ "$(code -I "$base/metrics")" = 200 ] || fail "HEAD /metrics not 200"
grep -q "sandbox-token\|shell-secret" "$tmp/metrics" && fail "a secret in /metrics"

step="healthz ok"
health() { curl -s -o "$tmp/health" -w "%{http_code}" "$base/healthz"; }
[ "$(health)" = 200 ] || fail "healthz $(cat "$tmp/health")"
grep -q '^{"status":"ok"' "$tmp/health" || fail "healthz body $(cat "$tmp/health")"

step="healthz when BigCommerce answers 401"
ok settings set bigcommerce.token wrong-token-1234
ok run order_import_bc
wait_for health 503
grep -q '"status":"fail"' "$tmp/health" || fail "healthz body $(cat "$tmp/health")"
grep -q '"bigcommerce":{"auth":"auth_failed"' "$tmp/health" || fail "no auth_failed: $(cat "$tmp/health")"
grep -q 'bigcommerce: auth_failed' "$tmp/health" || fail "no problem line: $(cat "$tmp/health")"
grep -q 'wrong-token' "$tmp/health" && fail "the token in /healthz"
scrape
[ "$(sample pearlsync_platform_auth_failed platform=bigcommerce)" = 1 ] || fail "metrics: auth_failed not 1"
[ "$(sample pearlsync_http_requests_total outcome=auth,platform=bigcommerce)" -ge 1 ] || fail "no auth outcome counted"
ok settings set bigcommerce.token sandbox-token
ok run order_import_bc
wait_for health 200

step="healthz when the heartbeat is stale"
# hold the database's write lock: the worker cannot write its heartbeat
"$py" -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[3]))
c.execute("ROLLBACK")' "$db" "$tmp/locked" 40 &
locker=$!
i=0
until [ -e "$tmp/locked" ]; do i=$((i + 1)); [ "$i" -le 100 ] || fail "no lock"; sleep 0.1; done
i=0
until [ "$(health)" = 503 ]; do
	i=$((i + 1))
	[ "$i" -le 300 ] || fail "healthz still $(cat "$tmp/health") after 30 s without heartbeat"
	sleep 0.1
done
grep -q '"heartbeat":{"status":"stale"' "$tmp/health" || fail "healthz body $(cat "$tmp/health")"
grep -q 'heartbeat: stale' "$tmp/health" || fail "no problem line: $(cat "$tmp/health")"
kill "$locker" 2>/dev/null || :
wait "$locker" 2>/dev/null || :
wait_for health 200

stop_worker
[ "$worker_rc" -eq 0 ] || fail "worker exit status $worker_rc"
cp "$tmp/w.err" "$tmp/err"
check_sanitizers
exit 0
