#!/bin/sh
# The order import through the command line against the sandbox:
# `pearlsync preview order ID` prints the requests and the reasons and
# changes nothing (no log entry, no Brightpearl order); a missing default
# and a filtered order are explained; `pearlsync sync-once orders` then
# imports the demo store's orders once, and again changes nothing.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"

start_sandbox

# bp_orders - how many sales orders the sandbox's Brightpearl holds
bp_orders() { bp_refs | wc -l; }

# no bigcommerce.defaults.warehouse_id yet: "missing default" below wants it unset
connect_platforms
ok settings set brightpearl.installed_integration_instance_id 7
ok settings set bigcommerce.orders.enabled true
ok settings set bigcommerce.defaults.channel_id 1
ok settings set bigcommerce.payments.enabled true
ok mappings set order_status 'bc>bp' 11 2
ok mappings set-default payment_method 'bc>bp' BIGCOMMERCE

step="usage"
run preview
expect_rc 2
run preview order x
expect_rc 2

step="missing default"
run preview order 100
expect_rc 1
grep -q "waiting for setting bigcommerce.defaults.warehouse_id" "$tmp/err" ||
	fail "no 'waiting for setting' reason"

step="missing tax code"
ok settings set bigcommerce.defaults.warehouse_id 2
run preview order 100
expect_rc 1
grep -q "line .* has no Brightpearl tax code: .*set bigcommerce.defaults.tax_code" "$tmp/err" ||
	fail "no reason naming the line and the tax code setting"

step="preview"
ok settings set bigcommerce.defaults.tax_code T
ok mappings set tax_code 'bc>bp' shipping N
ok preview order 100
expect_out "tax code T"
expect_out "(bigcommerce.defaults.tax_code; its tax class unmapped)"
expect_out "shipping row: tax code N (mapping tax_code bc>bp shipping)"
expect_out "^1\. POST /order-service/sales-order"
expect_out "externalRef: 100"
expect_out "customer id: 201"
expect_out "POST /accounting-service/customer-payment"
expect_out "mapping order_status bc>bp 11"
expect_out "^Why:"
ok preview order 101
expect_out "Discounts"
[ "$(bp_orders)" -eq 0 ] || fail "preview created an order"
ok logs
grep -q "order_import_bc" "$tmp/out" && fail "preview wrote a log entry"

step="filtered"
ok preview order 102
expect_out "Nothing would be sent: .*bigcommerce.orders.import_statuses"

step="sync-once"
ok sync-once orders
[ "$(bp_orders)" -eq 2 ] || fail "want 2 Brightpearl orders, have $(bp_orders)"
ok sync-once orders
[ "$(bp_orders)" -eq 2 ] || fail "a second run created orders"
ok preview order 100
expect_out "^Already imported as Brightpearl order "
grep -q "sandbox-token" "$tmp/all-output" && fail "token printed"
exit 0
