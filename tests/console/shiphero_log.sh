#!/bin/sh
# ShipHero entries in the console's sync log, with the guide's columns:
# two Brightpearl goods-out notes go to ShipHero through the worker
# against the sandbox, the 3PL ships one, and the log shows the export
# entry's row (Order # = the Brightpearl customer reference, total,
# inserted, synced, status, shipping method, ShipHero's order status)
# and the tracking entry's (the note's total, the label's method,
# "shipped"), and each entry's detail says what was done.
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"

command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
start_sandbox
sh_url=$(awk '$1 == "shiphero" { print $2 }' "$tmp/sandbox.out")
[ -n "$sh_url" ] || { echo "SKIP: no ShipHero in the sandbox"; exit 77; }

step="configure"
q() { "$ps" "$@" >/dev/null 2>>"$tmp/err.cli" || fail "pearlsync $*"; }
q init
q settings set brightpearl.base_url "$bp_url"
q settings set brightpearl.account sandbox
q settings set brightpearl.app_ref sandbox_pearlsync
q settings set brightpearl.token sandbox-token
q settings set bigcommerce.enabled false
q settings set shiphero.enabled true
q settings set shiphero.base_url "$sh_url"
q settings set shiphero.username sandbox@example.com
printf 'sandbox-password\n' | "$ps" settings set shiphero.password - >/dev/null ||
	fail "the ShipHero password"
q check-connection sh
q settings set shiphero.orders.enabled true
q settings set shiphero.go_live "$(date -u -d '-1 min' +%Y-%m-%dT%H:%M:%SZ)"
q mappings set shiphero_warehouse 'bp>sh' 2 V2FyZWhvdXNlOjcxNDU=
q mappings set shiphero_shipping_method 'bp>sh' 7 UPS/Ground

step="two goods-out notes"
for i in 1 2; do
	oid=$(curl -sf -X POST "$bp_url/public-api/sandbox/order-service/sales-order" \
		-H 'brightpearl-app-ref: sandbox_pearlsync' \
		-H 'brightpearl-account-token: sandbox-token' \
		-H 'Content-Type: application/json' \
		-d '{"customer":{"id":201},"ref":"SO-CON'"$i"'","statusId":2,"warehouseId":2,"delivery":{"shippingMethodId":7},"rows":[{"productId":1001,"name":"TEE-RED-S","quantity":2,"taxCode":"T","net":20,"tax":0},{"productId":1007,"name":"MUG-LOGO","quantity":1,"taxCode":"T","net":8,"tax":0}]}' |
		grep -o '[0-9][0-9]*') || fail "sales order $i"
	curl -sf -X POST "$control/brightpearl/ship" \
		-d '{"orderId":'"$oid"',"warehouseId":2,"shippingMethodId":7,"ship":false}' \
		>"$tmp/gon$i" || fail "goods-out note $i"
done
gon1=$(grep -o '[0-9][0-9]*' "$tmp/gon1" | head -n 1)

# once WANT FLOW - worker passes until FLOW has WANT synced entries
once() {
	n=0
	while :; do
		"$ps" worker --once >/dev/null 2>>"$tmp/err.worker" || :
		c=$("$ps" logs --flow "$2" --status synced --json | grep -c '"id"' || :)
		[ "$c" -ge "$1" ] && return 0
		n=$((n + 1))
		[ "$n" -le 20 ] || fail "$2: $c synced entries, want $1"
	done
}
once 2 shiphero-orders
# both lines in one package
body=$(curl -sf "$control/shiphero/orders/BP-GON-$gon1" | python3 -c '
import json, sys
o = json.load(sys.stdin)
print(json.dumps({"packages": [{"lines": [{"partner_line_item_id": l["partner_line_item_id"],
    "quantity": l["quantity"]} for l in o["line_items"]],
    "tracking_number": "TRK-CON-1", "carrier": "UPS", "method": "Ground"}]}))') ||
	fail "ShipHero order of note $gon1"
curl -sf -X POST "$control/shiphero/orders/BP-GON-$gon1/ship" -d "$body" >/dev/null ||
	fail "shipping note $gon1"
once 1 shiphero-tracking

step="the sync log"
# 120 columns: the guide's columns all show (at 80 the reason takes the
# shipping ones' room)
PS_COLS=120 start_console c1
wait_for c1 "[1 Dashboard]"
keys c1 4
wait_for c1 "Filter: all entries"
# the tracking entry (newest) and both export entries, the guide's columns
wait_match c1 '^>SO-CON1 +28\.00 USD [0-9-]+ [0-9:]+ [0-9-]+ [0-9:]+ synced +UPS Ground +shipped'
wait_match c1 '^ SO-CON2 +28\.00 USD [0-9-]+ [0-9:]+ [0-9-]+ [0-9:]+ synced +UPS/Ground +pending'
wait_match c1 '^ SO-CON1 +28\.00 USD [0-9-]+ [0-9:]+ [0-9-]+ [0-9:]+ synced +UPS/Ground +(pending|fulfille)'

step="the tracking entry's detail"
keys c1 Enter
wait_for c1 "Kind            shipment.import"
wait_for c1 "Order #         SO-CON1"
wait_for c1 "Total           28.00 USD"
wait_for c1 "Shipping        UPS Ground; shipment shipped"
wait_match c1 "Sent +ShipHero shipment [0-9]+ -> goods-out note $gon1: 3/3 units"
wait_for c1 "tracking TRK-CON-1"
keys c1 q
wait_for c1 "Filter: all entries"

step="an export entry's detail"
keys c1 Down Enter
wait_for c1 "Kind            goods-out-note.export"
wait_for c1 "Order #         SO-CON2"
wait_for c1 "Shipping        UPS/Ground; shipment pending"
wait_match c1 "Sent +goods-out note [0-9]+ -> ShipHero order SO-CON2"
keys c1 q Q
wait_exit c1 2>/dev/null || :
exit 0
