#!/bin/sh
# `pearlsync reconcile` end to end against the sandbox: among orders that
# are correctly synced, one difference of each kind is planted through
# the sandbox's control API (a filtered status, a guest order with guests
# off, a failed import, an order the poll never saw, a Brightpearl order
# whose BigCommerce order was archived, a total changed in Brightpearl, a
# shipment made in Brightpearl only, a stock level changed in
# Brightpearl).  The JSON report must list exactly those and nothing else;
# the requests it reports must be the sandbox's own counts; --queue then
# queues the importable missing orders, the import creates the never-seen
# order once in Brightpearl, and a second --queue queues nothing.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }

start_sandbox
connect_sandbox
ok settings set bigcommerce.orders.import_guests false
ok settings set bigcommerce.inventory.enabled true
ok settings set bigcommerce.inventory.warehouses 2

# place_order BODY - a shopper's order; prints its id
place_order() {
	curl -sf -X POST -d "$1" "$control/bigcommerce/orders" |
		jq -r .order.id
}
ada='"customer_id":1,"billing_address":{"first_name":"Ada","last_name":"Lovelace","street_1":"12 St James Square","city":"Austin","zip":"78701","country":"United States","country_iso2":"US","email":"ada@example.com"}'
paid='"payment":{"gateway":"braintree","captured":true}'

step="correctly synced orders"
o1=$(place_order "{$ada,\"status_id\":11,\"lines\":[{\"sku\":\"CAP-BLK\",\"quantity\":1}],$paid}")
o2=$(place_order "{$ada,\"status_id\":11,\"lines\":[{\"sku\":\"BAG-TOTE\",\"quantity\":2}],\"shipping_cost\":\"3.00\",$paid}")
o3=$(place_order "{$ada,\"status_id\":11,\"lines\":[{\"sku\":\"SOCK-3PK\",\"quantity\":1}],$paid}")
o4=$(place_order "{$ada,\"status_id\":11,\"lines\":[{\"sku\":\"BTL-STEEL\",\"quantity\":1}],$paid}")
o5=$(place_order "{$ada,\"status_id\":11,\"lines\":[{\"sku\":\"TEE-BLU-M\",\"quantity\":1}],$paid}")
step="a failed import: a SKU Brightpearl does not have"
bad=$(place_order "{$ada,\"status_id\":11,\"lines\":[{\"sku\":\"NO-SUCH-SKU\",\"quantity\":1,\"price\":\"5.00\",\"name\":\"Mystery\"}],$paid}")
run sync-once orders
ok sync-once inventory
step="the imports"
for id in 100 "$o1" "$o2" "$o3" "$o4" "$o5"; do
	bp_refs | grep -qx "$id" || fail "order $id was not imported"
done
bp_refs | grep -qx "$bad" && fail "order $bad was imported"
bp_refs | grep -qx 101 && fail "the guest order was imported"

step="plant the differences"
# never seen: placed an hour "ago", behind the import's poll cursor
sb_post bigcommerce/config '{"clock_offset_s":-3600}'
lost=$(place_order "{$ada,\"status_id\":11,\"lines\":[{\"sku\":\"MUG-LOGO\",\"quantity\":1}],$paid}")
sb_post bigcommerce/config '{"clock_offset_s":0}'
ok sync-once orders
bp_refs | grep -qx "$lost" && fail "the lost order was seen"
# BigCommerce took the lost order's stock; Brightpearl never had it
ok sync-once inventory
bp_refs_all() { # every sales order's externalRef, repeats kept
	curl -s "$control/brightpearl/orders" | jq -r '.[].externalRef // empty'
}
bp_of() { # the Brightpearl order of BigCommerce order $1
	curl -s "$control/brightpearl/orders" |
		jq -r --arg r "$1" '.[] | select(.externalRef == $r) | .id'
}
# orphan: o1 archived in BigCommerce after its import
sb_post "bigcommerce/orders/$o1/archive" '{}'
# total: o2's first row changed in Brightpearl
bp2=$(bp_of "$o2")
sb_post brightpearl/order-row "{\"orderId\":$bp2,\"net\":\"1.00\"}"
# shipment: o3 shipped in Brightpearl only
bp3=$(bp_of "$o3")
sb_post brightpearl/ship "{\"orderId\":$bp3,\"warehouseId\":2,\"tracking\":\"1Z999\"}"
# stock: CAP-BLK's stock changed in Brightpearl only
sb_post brightpearl/stock '{"sku":"CAP-BLK","warehouseId":2,"inStock":7}'

step="reconcile --json"
curl -sf -X POST "$control/requests/reset" >/dev/null
run reconcile --since 1d --json
expect_rc 1
cp "$tmp/out" "$tmp/report.json"
jq -r '.differences[] | "\(.kind) \(.why) \(.source_id) \(.target_id) \(.source_value) \(.target_value) \(.queueable)"' \
	"$tmp/report.json" | sort >"$tmp/got"
cap=$(jq -r '.[] | select(.sku == "CAP-BLK") | .level' "$tmp/bc_inv" 2>/dev/null || :)
sort >"$tmp/want" <<WANT
missing never_seen $lost  9.95  true
missing guest 101  36.00  false
missing filtered 102  49.50  false
missing failed $bad  5.00  true
orphan  $o1 $(bp_of "$o1")   false
total  $o2 $bp2 $(curl -s "$control/bigcommerce/orders/$o2" | jq -r .order.total_inc_tax | sed 's/\(\.[0-9][0-9]\).*/\1/') 4.00 false
shipment  $o3 $bp3 0 1 false
stock  CAP-BLK 1007 79 6 false
WANT
diff "$tmp/want" "$tmp/got" >"$tmp/diff" || fail "the report is not the planted differences: $(cat "$tmp/diff")"
step="the failed import's reason is quoted"
jq -r '.differences[] | select(.why == "failed") | .text' "$tmp/report.json" |
	grep -q "NO-SUCH-SKU' not found in Brightpearl" || fail "no reason quoted"

step="the requests reported are the sandbox's counts"
curl -sf "$control/requests" >"$tmp/counts"
for p in brightpearl bigcommerce; do
	want=$(jq -r ".$p.total" "$tmp/counts")
	got=$(jq -r ".requests.$p" "$tmp/report.json")
	[ "$want" = "$got" ] || fail "$p: reported $got requests, the sandbox counted $want"
done

step="the text report"
run reconcile --since 1d
expect_rc 1
expect_out "^Missing orders (4)$"
expect_out "never_seen *order $lost: never seen (no log entry)"
expect_out "^Totals that differ (1)$"
expect_out "2 missing orders can be queued for import"
expect_out "^Requests: Brightpearl [0-9]*, BigCommerce [0-9]* for 9 orders and 11 SKUs$"
[ -d "${PS_CAPTURE_DIR:-}" ] && cp "$tmp/out" "$PS_CAPTURE_DIR/reconcile.txt" &&
	cp "$tmp/report.json" "$PS_CAPTURE_DIR/reconcile.json"

step="--queue queues the never-seen and the failed order"
run reconcile --since 1d --queue
expect_rc 1
expect_out "^Queued 2 orders for import.$"
[ -d "${PS_CAPTURE_DIR:-}" ] && cp "$tmp/out" "$PS_CAPTURE_DIR/reconcile-queue.txt"
step="a second --queue finds them queued and queues nothing"
run reconcile --since 1d --queue --json
expect_rc 1
[ "$(jq -r .queued "$tmp/out")" = 0 ] || fail "queued again: $(jq .queued "$tmp/out")"
jq -r '.differences[] | select(.kind == "missing") | .why' "$tmp/out" | sort | tr '\n' ' ' |
	grep -qx "filtered guest pending pending " || fail "queued orders not pending"

step="the worker imports the lost order, once"
lost_count() { bp_refs_all | grep -cx "$lost" || :; }
start_worker
wait_for lost_count 1
# a queued entry is performed once: give the worker a few more passes
run run orders
sleep 2
stop_worker
n=$(lost_count)
[ "$n" = 1 ] || fail "order $lost is in Brightpearl $n times"
run reconcile --since 1d --queue
expect_out "^Queued 1 order for import.$" # the failed one, again
start_worker
sleep 2
stop_worker
n=$(lost_count)
[ "$n" = 1 ] || fail "order $lost is in Brightpearl $n times after a second worker run"
run reconcile --since 1d --json
jq -r '.differences[] | select(.kind == "missing") | .source_id' "$tmp/out" |
	grep -qx "$lost" && fail "the lost order is still missing"

step="nothing differs: exit 0"
ok sync-once inventory
run reconcile --since 2001-01-01 --until 2001-01-02
expect_rc 0
expect_out "^Nothing differs.$"

step="a platform unreachable: exit 2 with the reason"
kill "$sb_pid"
wait "$sb_pid" 2>/dev/null || :
sb_pid=""
run reconcile
expect_rc 2
expect_err "^pearlsync: cannot reconcile: "

step="not set up: exit 2 with the reason"
printf 'database = "%s";\nlog_level = "warn";\n' "$tmp/bare.db" >"$tmp/bare.conf"
ok --config "$tmp/bare.conf" init
run --config "$tmp/bare.conf" reconcile
expect_rc 2
expect_err "^pearlsync: cannot reconcile: nothing to reconcile: .* is not set"
echo "reconcile_e2e: ok"
