#!/bin/sh
# The dashboard's flow keys against a real worker and the sandbox: the
# operator pauses the order import from the console (p), a shopper places
# an order, the worker leaves it alone (a run-now request, n, is answered
# "skipped"), and once the operator resumes the flow (p again) the order
# reaches Brightpearl.
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"
start_sandbox
poll=5

step="configure"
configure_sandbox $poll
"$ps" mappings set-default payment_method 'bc>bp' BIGCOMMERCE >/dev/null
"$ps" mappings set order_status 'bc>bp' 11 2 >/dev/null

step="the worker imports the demo orders"
"$ps" worker --no-listen >"$tmp/worker.out" 2>"$tmp/err.worker" </dev/null &
worker_pid=$!
deadline=$(($(date +%s) + 30))
until [ "$(bp_orders)" -eq 2 ]; do
	[ "$(date +%s)" -lt "$deadline" ] || fail "demo orders never imported"
	kill -0 "$worker_pid" 2>/dev/null || fail "worker exited"
	sleep 0.2
done

step="pause the order import from the dashboard"
start_console c
wait_for c "[1 Dashboard]"
wait_match c "Worker +running"
wait_match c '^>order_import_bc +[0-9]+ +2 +0 '
keys c p
wait_for c "order_import_bc: paused" 20
wait_match c '^>order_import_bc .* paused$'
[ "$("$ps" settings get sync.paused_flows)" = order_import_bc ] ||
	fail "sync.paused_flows is not order_import_bc"

step="place an order while paused"
curl -sf -X POST "$control/bigcommerce/orders" -d '{"billing_address":{"first_name":"P","last_name":"Q","email":"paused@example.com","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"CAP-BLK","quantity":1}],"status_id":11}' \
	>"$tmp/placed" || fail "placing the order"
grep -q '"id"' "$tmp/placed" || fail "the sandbox did not take the order"

step="the worker leaves it alone"
keys c n
wait_for c "order_import_bc: skipped: paused" 20
# Nothing is to happen, so there is no marker to wait for: give the worker
# a few of its poll intervals, then look at the sandbox.
sleep $((poll + 2))
[ "$(bp_orders)" -eq 2 ] ||
	fail "imported while paused: $(bp_orders) Brightpearl orders"
kill -0 "$worker_pid" 2>/dev/null || fail "worker exited"
wait_match c '^>order_import_bc .* paused$'

step="resume from the dashboard: the order is imported"
keys c p
wait_for c "order_import_bc: resumed" 20
wait_gone c "paused" 20
deadline=$(($(date +%s) + 30))
until [ "$(bp_orders)" -eq 3 ]; do
	[ "$(date +%s)" -lt "$deadline" ] || fail "order never imported"
	sleep 0.2
done
wait_match c '^>order_import_bc +[0-9]+ +3 +0 ' 20
[ -z "$("$ps" settings get sync.paused_flows 2>/dev/null || true)" ] ||
	fail "sync.paused_flows still set"

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
