#!/bin/sh
# The console and the worker together against the sandbox: the worker
# fails the demo store's orders for a missing status mapping; the operator
# adds the mapping, retries one order with r and the rest with R in the
# console, and watches the worker sync them (the log screen refreshes
# itself).
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"
start_sandbox

step="configure (no order status mapping)"
configure_sandbox 5
"$ps" mappings set-default payment_method 'bc>bp' BIGCOMMERCE >/dev/null

step="the worker fails both orders"
"$ps" worker --no-listen >"$tmp/worker.out" 2>"$tmp/err.worker" </dev/null &
worker_pid=$!
deadline=$(($(date +%s) + 30))
until [ "$("$ps" logs --status failed --json | grep -c '"id"')" -eq 2 ]; do
	[ "$(date +%s)" -lt "$deadline" ] || fail "orders never failed"
	kill -0 "$worker_pid" 2>/dev/null || fail "worker exited"
	sleep 0.2
done

step="the console shows them failed"
start_console c --screen log
wait_for c "[4 Sync log]"
keys c s s s
wait_for c "Filter: failed"
wait_match c '^>101 .* failed '
wait_match c '^ 100 .* failed '
keys c Enter
wait_for c "mapping order_status bc>bp"
keys c q
wait_for c "Filter: failed"

step="fix the mapping, retry one with r"
"$ps" mappings set order_status 'bc>bp' 11 2 >/dev/null
keys c r
wait_for c "entry 2 queued for retry"
keys c c
wait_for c "Filter: all entries"
wait_match c '^.101 .* synced ' 30
wait_match c '^ 100 .* failed '

step="retry the rest with R"
keys c s s s
wait_for c "Filter: failed"
keys c R
wait_for c "Retry every failed entry in the filter (failed)?"
keys c y
wait_for c "1 failed entry queued for retry"
keys c c
wait_match c '^.100 .* synced ' 30
[ "$(bp_orders)" -eq 2 ] || fail "want 2 Brightpearl orders, have $(bp_orders)"

step="the dashboard sees the worker"
keys c 1
wait_for c "[1 Dashboard]"
wait_match c "Worker +running"
wait_match c "order_import_bc +0 +2 +0"

step="quit"
keys c Q
wait_exit c
[ "$rc" = 0 ] || fail "console exit status $rc"
kill "$worker_pid"
wait "$worker_pid" || fail "worker exit status $?"
worker_pid=""
if grep -q -e "Sanitizer" -e "runtime error:" "$tmp/err.worker"; then
	fail "sanitizer report from the worker"
fi
grep -q "sandbox-token" "$tmp"/err.* && fail "token printed"
echo ok
