#!/bin/sh
# `pearlsync preview order ID --json` against the sandbox: for orders of
# several shapes (guest, registered customer found and new, a customer
# whose phone changed, coupon and discounts, shipping, several lines,
# captured and authorised payments, a staff note into a custom field, a
# customer message into a note) every request the preview prints reaches
# the sandbox's Brightpearl byte for byte when the worker then imports the
# order, sent on its own or inside a multi-message.  The previews write
# nothing: the database file and the sandbox's write counters are the
# same before and after.  `preview --settings FILE` with a new warehouse
# and a new status mapping shows those differences and no other, for one
# order and for the recent ones, and leaves the settings, the database
# and the sandbox as they were.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
match="$PS_SOURCE_DIR/tests/integration/fixtures/preview/match_wire.py"

start_sandbox
connect_sandbox
ok settings set bigcommerce.payments.enabled true
ok settings set bigcommerce.notes.staff_notes_field PCF_SOURCE
ok mappings set-default payment_method 'bc>bp' BIGCOMMERCE
ok mappings set shipping_method 'bc>bp' 'Flat Rate' 6

# writes - the sandbox's count of requests that are not reads, per platform
writes() {
	curl -sf "$control/requests" |
		jq -S '[to_entries[] | {(.key): ([.value.endpoints | to_entries[] | select(.key | test("^(GET|HEAD) ") | not) | .value] | add)}] | add'
}
# db_sum - the database file and its WAL (after a command closed it)
db_sum() { cat "$db" "$db-wal" 2>/dev/null | sha256sum; }
# place JSON - a shopper's order in the sandbox store; its id in $placed
place() {
	curl -sf -X POST -d "$1" "$control/bigcommerce/orders" >"$tmp/placed" ||
		fail "placing an order"
	placed=$(jq -r '.order.id' "$tmp/placed")
}
# preview_all IDS... - the --json preview of each into $tmp/p.ID.json,
# checking that nothing was written
preview_all() {
	ok settings get bigcommerce.defaults.warehouse_id # settles the WAL
	before_db=$(db_sum)
	before_w=$(writes)
	for id in "$@"; do
		ok preview order "$id" --json
		cp "$tmp/out" "$tmp/p.$id.json"
		[ "$(jq '.requests | length' "$tmp/p.$id.json")" -gt 0 ] ||
			fail "preview of $id has no requests"
	done
	[ "$(db_sum)" = "$before_db" ] || fail "a preview changed the database file"
	[ "$(writes)" = "$before_w" ] || fail "a preview wrote to a platform: $(writes)"
}
# import_and_match IDS... - import what is due, then match each preview
import_and_match() {
	curl -sf -X POST "$control/requests/reset" >/dev/null
	ok sync-once orders
	curl -sf "$control/state" >"$tmp/state.json"
	curl -sf "$control/requests/recent?platform=brightpearl" >"$tmp/recent.json"
	for id in "$@"; do
		python3 "$match" "$tmp/p.$id.json" "$tmp/state.json" \
			"$tmp/recent.json" >"$tmp/match" 2>&1 ||
			fail "order $id: $(cat "$tmp/match")"
	done
}

step="demo orders 100 (registered, paid) and 101 (guest, coupon, authorised), batched"
preview_all 100 101
jq -e '[.requests[].step] | index("custom fields") == null' "$tmp/p.100.json" >/dev/null
import_and_match 100 101
jq -e 'map(select(.path | endswith("/multi-message"))) | length > 0' \
	"$tmp/recent.json" >/dev/null || fail "want the batched path"

step="a guest with three lines, a coupon, shipping, staff notes: imported alone"
place '{"billing_address":{"first_name":"Gus","last_name":"Tester","email":"gus@example.net","street_1":"1 Main St","city":"Leeds","zip":"LS1 1AA","country_iso2":"GB","phone":"0113 000"},
 "lines":[{"sku":"TEE-RED-S","quantity":2},{"sku":"CAP-BLK","quantity":1},{"sku":"SOCK-3PK","quantity":3}],
 "coupon":{"code":"TEN","amount":"10.00"},"shipping_cost":"7.50","tax_rate":"0.2",
 "staff_notes":"phone order","customer_message":"leave at the door",
 "payment":{"gateway":"Credit Card","captured":true},"status_id":11}'
guest=$placed
preview_all "$guest"
for s in contact sales\ order custom\ fields note payment reservation; do
	jq -e --arg s "$s" '[.requests[].step] | index($s) != null' \
		"$tmp/p.$guest.json" >/dev/null || fail "no '$s' request in the preview"
done
jq -e '.requests[] | select(.step == "contact") | .body | contains("{address_id}")' \
	"$tmp/p.$guest.json" >/dev/null || fail "the contact does not name its new address"
import_and_match "$guest"
# an import due alone is a batch of one: its sales order is sent on its
# own, what follows it in multi-messages
jq -e 'map(select(.path | endswith("/order-service/sales-order"))) | length == 1' \
	"$tmp/recent.json" >/dev/null || fail "want the sales order sent on its own"
jq -e 'map(select(.path | endswith("/multi-message"))) | length > 0' \
	"$tmp/recent.json" >/dev/null || fail "want the payment and reservation in a multi-message"

step="a new registered customer and Ada with a new phone, batched"
place '{"customer":{"email":"rita@example.net","first_name":"Rita","last_name":"New"},
 "billing_address":{"first_name":"Rita","last_name":"New","email":"rita@example.net","street_1":"9 High St","city":"York","zip":"YO1 7HH","country_iso2":"GB"},
 "lines":[{"sku":"MUG-LOGO","quantity":1}],"shipping_cost":"4.00",
 "payment":{"gateway":"PayPal","captured":false},"status_id":11}'
rita=$placed
place '{"customer_id":1,
 "billing_address":{"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","street_1":"12 St James'"'"'s Square","city":"Austin","state":"Texas","zip":"78701","country_iso2":"US","phone":"555 0199"},
 "lines":[{"sku":"BAG-TOTE","quantity":1},{"sku":"BTL-STEEL","quantity":2}],"discount_amount":"3.00","shipping_cost":"5.00",
 "payment":{"gateway":"Credit Card","captured":true},"status_id":11}'
ada=$placed
preview_all "$rita" "$ada"
jq -e '[.requests[].step] | index("contact update") != null' "$tmp/p.$ada.json" >/dev/null ||
	fail "Ada's new phone is not a contact update"
import_and_match "$rita" "$ada"

# ---- --settings: a new warehouse and a new status mapping ----------------
cat >"$tmp/change.json" <<'JSON'
{"pearlsync": "settings", "format_version": 1,
 "settings": {"bigcommerce.defaults.warehouse_id": "3"},
 "mappings": [{"kind": "order_status", "direction": "bc>bp", "source": "11", "target": "4"}]}
JSON
ok settings export
jq 'del(.settings_version)' "$tmp/out" >"$tmp/export.before"
ok settings history
cp "$tmp/out" "$tmp/history.before"
before_db=$(db_sum)
before_w=$(writes)

step="--settings for one order: exactly the warehouse and the status differ"
ok preview order "$guest" --settings "$tmp/change.json" --json
cp "$tmp/out" "$tmp/one.json"
jq -c '.differences' "$tmp/one.json" >"$tmp/diff"
want='["sales order/statusId: 2 -> 4","sales order/warehouseId: 2 -> 3","reservation path: /warehouse-service/order/{order_id}/reservation/warehouse/2 -> /warehouse-service/order/{order_id}/reservation/warehouse/3"]'
[ "$(cat "$tmp/diff")" = "$want" ] || fail "differences: $(cat "$tmp/diff")"
[ "$(jq -c '.summary' "$tmp/one.json")" = '["status 2 -> 4","warehouse 2 -> 3"]' ] ||
	fail "summary: $(jq -c '.summary' "$tmp/one.json")"
ok preview order "$guest" --settings "$tmp/change.json"
expect_out "^what would differ: status 2 -> 4, warehouse 2 -> 3; 3 differences in the requests$"

step="--settings --recent 3: the three newest imports, the same differences each"
ok preview --settings "$tmp/change.json" --recent 3 --json
[ "$(jq -c '[.[].order]' "$tmp/out")" = "[\"$ada\",\"$rita\",\"$guest\"]" ] ||
	fail "orders: $(jq -c '[.[].order]' "$tmp/out")"
[ "$(jq -c '[.[].differences == '"$want"'] | all' "$tmp/out")" = true ] ||
	fail "differences: $(jq -c '[.[].differences]' "$tmp/out")"
ok preview --settings "$tmp/change.json"
expect_out "^order 100: status 2 -> 4, warehouse 2 -> 3; 3 differences"
[ "$(grep -c '^order ' "$tmp/out")" -eq 5 ] || fail "want the 5 imported orders"
cp "$tmp/out" "$tmp/recent.txt"

step="nothing was applied or written"
[ "$(db_sum)" = "$before_db" ] || fail "the database file changed"
[ "$(writes)" = "$before_w" ] || fail "a platform was written to"
ok settings export
jq 'del(.settings_version)' "$tmp/out" | cmp -s - "$tmp/export.before" ||
	fail "the settings changed"
ok settings history
cmp -s "$tmp/out" "$tmp/history.before" || fail "the settings history changed"
ok settings get bigcommerce.defaults.warehouse_id
expect_out "^2$"

step="a file that is not a settings document: refused, nothing written"
echo '{"settings": {"no.such.key": 1}}' >"$tmp/bad.json"
run preview order "$guest" --settings "$tmp/bad.json"
expect_rc 1
expect_err "unknown setting 'no.such.key'"

step="usage"
run preview order "$guest" --recent 3
expect_rc 2
run preview --recent 3
expect_rc 2
grep -q "sandbox-token" "$tmp/all-output" && fail "token printed"

if [ -n "${PS_CAPTURE_DIR:-}" ]; then
	cp "$tmp/p.$guest.json" "$PS_CAPTURE_DIR/preview_json_guest.txt"
	cp "$tmp/recent.txt" "$PS_CAPTURE_DIR/preview_settings_recent.txt"
fi
echo "preview_wire: ok"
