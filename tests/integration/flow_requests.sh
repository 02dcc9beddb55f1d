#!/bin/sh
# The operator requests from the command line, through a real worker
# against the sandbox: `pearlsync pause orders` stops the order import (an
# order placed meanwhile reaches the sync log by its webhook but not
# Brightpearl), `pearlsync resume orders` lets it through, and `pearlsync
# run orders` polls at once an order no webhook announced (polling is set
# to once a day).  With no worker running the commands say so and exit 1.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"

start_sandbox
connect_sandbox
ok settings set sync.poll_interval_seconds 86400

bp_count() { bp_refs | wc -l | tr -d ' '; }
# place_order EMAIL - a new BigCommerce order; its id in $placed
place_order() {
	sb_post bigcommerce/orders '{"billing_address":{"first_name":"P","last_name":"R","email":"'$1'","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"CAP-BLK","quantity":1}],"status_id":11}'
	placed=$(grep -o '"order": *{"id": *[0-9]*' "$tmp/sb.reply" | grep -o '[0-9]*$')
	[ -n "$placed" ] || fail "no order id in $(head -c 200 "$tmp/sb.reply")"
}
# logged - how many log entries of the order flow name order $placed
logged() { "$ps" logs --flow orders --search "$placed" --json | grep -o '"id":' | wc -l | tr -d ' '; }

step="usage"
run pause
expect_rc 2
run resume orders extra
expect_rc 2
run run no-such-flow
expect_rc 2
expect_err "no flow 'no-such-flow'"
run pause --timeout soon orders
expect_rc 2
ok pause --help
expect_out "usage: pearlsync pause"
ok help run
expect_out "usage: pearlsync run"

step="start"
start_worker
# the demo store's orders 100 and 101 come in by the first poll
wait_for bp_count 2

step="pause"
ok pause orders
expect_out "^flow order_import_bc paused$"
ok settings get sync.paused_flows
expect_out "order_import_bc"
place_order paused@example.com
# the webhook reaches the worker, which records the order but, paused,
# does not import it: give it two more ticks to prove it
wait_for logged 1
sleep 2
[ "$(bp_count)" = 2 ] || fail "a paused flow imported an order: $(bp_count) orders"
ok status
expect_out "paused"

step="resume"
ok resume orders
expect_out "^flow order_import_bc resumed$"
wait_for bp_count 3
bp_refs | grep -qx "$placed" || fail "order $placed not in Brightpearl"
run settings get sync.paused_flows
grep -q "order_import_bc" "$tmp/out" && fail "still listed as paused"

step="run now"
# the sandbox stops delivering webhooks: only a poll finds the next order
sb_post webhooks '{"platform":"bigcommerce","drop_rate":1}'
place_order unannounced@example.com
sleep 2
[ "$(bp_count)" = 3 ] || fail "order imported with no webhook and no poll"
ok run orders
expect_out "^flow order_import_bc will run now$"
wait_for bp_count 4
bp_refs | grep -qx "$placed" || fail "order $placed not in Brightpearl"

step="no worker"
stop_worker
[ "$worker_rc" -eq 0 ] || fail "worker exit $worker_rc"
run pause orders
expect_rc 1
expect_err "no worker is running"
expect_err "queued"
grep -q "sandbox-token\|shell-secret-5150" "$tmp/all-output" && fail "secret printed"
exit 0
