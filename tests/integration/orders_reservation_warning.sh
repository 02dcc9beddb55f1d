#!/bin/sh
# A reservation Brightpearl refuses is not a silent "synced": with the
# default warehouse forced to one Brightpearl does not have (99), and the
# sandbox taking it on the order (strict.orderReferences off, as an account
# that does not check it) but refusing it for the reservation (WHSC-016,
# strict.reservationWarehouse on), the worker imports the demo store's
# orders and each entry is synced with the reason
# "warning: reservation not made in warehouse 99: ...".  The sandbox's
# state confirms the orders exist and hold no reservation.  With warehouse
# 2 a new order is reserved and its entry carries no warning.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"

start_sandbox
connect_sandbox
ok mappings set-default payment_method 'bc>bp' BIGCOMMERCE
ok settings set sync.poll_interval_seconds 5

sb_post brightpearl/strict '{"orderReferences":false}'

step="warehouse 99 is refused unless forced"
run settings set bigcommerce.defaults.warehouse_id 99
expect_rc 1
ok settings set --force bigcommerce.defaults.warehouse_id 99

synced() { "$ps" logs --status synced --json | grep -c '"id"' || :; }
reservations() {
	curl -s "$control/brightpearl/state" | jq -c '.reservations' 2>/dev/null
}
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }

step="the orders import with a warning"
spawn_worker --no-listen
wait_for synced 2
ok logs --status synced --json
n=$(jq '[.[] | select(.reason != null and
	(.reason | startswith("warning: reservation not made in warehouse 99")))]
	| length' "$tmp/out")
[ "$n" -eq 2 ] || fail "want 2 entries with the warning, have $n"
ok logs --status synced
expect_out "warning: reservation not made in warehouse 99"

step="the sandbox: orders made, nothing reserved"
[ "$(bp_refs | wc -l | tr -d ' ')" -eq 2 ] || fail "want 2 Brightpearl orders"
[ "$(reservations)" = "{}" ] || fail "reservations: $(reservations)"

step="warehouse 2: the next order is reserved, no warning"
ok settings set bigcommerce.defaults.warehouse_id 2
sb_post bigcommerce/orders '{"billing_address":{"first_name":"R","last_name":"S","email":"r@example.com","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"TEE-RED-M","quantity":1}],"status_id":11}'
wait_for synced 3
[ "$(reservations)" != "{}" ] || fail "no reservation with warehouse 2"
ok logs --status synced --json
n=$(jq '[.[] | select(.reason != null)] | length' "$tmp/out")
[ "$n" -eq 2 ] || fail "want only the 2 first entries warned, have $n"

stop_worker
grep -q "sandbox-token" "$tmp/all-output" "$tmp/w.err" && fail "token printed"
echo ok
