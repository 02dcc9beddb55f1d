#!/bin/sh
# A goods-in of 100 SKUs through the real worker (listener on) at the
# real quotas: 100 stock changes made in Brightpearl, one webhook each,
# reach BigCommerce in a handful of requests (stock entries due together
# share one product read, one availability read and one send), every
# BigCommerce level right as read from the sandbox, and an order placed
# in the middle of the burst is imported meanwhile, not after it.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }

start_sandbox --seed demo --quota real
connect_sandbox
ok settings set bigcommerce.inventory.enabled true
ok settings set bigcommerce.inventory.warehouses 2

# 100 products on both platforms: Brightpearl has 5 of each, BigCommerce 0
python3 - "$control" <<'PY' || fail "seeding"
import json, sys, urllib.request
control = sys.argv[1]
def post(path, body):
    urllib.request.urlopen(urllib.request.Request(
        control + path, data=json.dumps(body).encode(), method="POST")).read()
post("/brightpearl/seed", {"products": [
    {"sku": "STK-%03d" % i, "name": "Stock %03d" % i, "price": "5.00",
     "stock": {"2": 5}, "stockTracked": True} for i in range(100)]})
post("/bigcommerce/products", [
    {"name": "Stock %03d" % i, "type": "physical", "weight": 1, "price": 5,
     "sku": "STK-%03d" % i, "inventory_tracking": "product",
     "inventory_level": 0} for i in range(100)])
PY

skus=$(python3 -c 'print(",".join("STK-%03d" % i for i in range(100)))')
# levels_at WANT - how many of the 100 SKUs BigCommerce has at level WANT
# (WANT "burst": 200 + i for STK-i)
levels_at() {
	curl -s "$control/bigcommerce/inventory?sku=$skus" | python3 -c '
import json, sys
want = sys.argv[1]
rows = json.load(sys.stdin)
print(sum(1 for r in rows if r["inventory_level"] ==
          (200 + int(r["sku"][4:]) if want == "burst" else int(want))))' "$1"
}
# count PLATFORM [ENDPOINT] - the sandbox's request counter
count() {
	curl -s "$control/requests" | python3 -c '
import json, sys
j = json.load(sys.stdin).get(sys.argv[1], {})
print(j.get("endpoints", {}).get(sys.argv[2], 0) if len(sys.argv) > 2 else j.get("total", 0))' "$@"
}

step="first reconcile"
start_worker
wait_for hooks 4
wait_for "levels_at 5" 100 # the first poll's reconcile set every level
# the demo store's orders came in by the first poll
wait_for "eval bp_refs | wc -l | tr -d ' '" 2

step="burst"
curl -sf -X POST "$control/requests/reset" -d '{}' >/dev/null
python3 - "$control" >"$tmp/placed" <<'PY' || fail "burst"
import json, sys, time, urllib.request
control = sys.argv[1]
def post(path, body):
    return urllib.request.urlopen(urllib.request.Request(
        control + path, data=json.dumps(body).encode(), method="POST")).read()
for i in range(100):
    post("/brightpearl/stock", {"sku": "STK-%03d" % i, "warehouseId": 2,
                                "inStock": 200 + i})
    if i == 50:  # a customer orders in the middle of the goods-in
        placed = json.loads(post("/bigcommerce/orders", {
            "billing_address": {"first_name": "G", "last_name": "I",
                                "email": "goods-in@example.com",
                                "street_1": "1 St", "city": "C",
                                "zip": "12345", "country_iso2": "US"},
            "lines": [{"sku": "CAP-BLK", "quantity": 1}], "status_id": 11}))
        print(placed["order"]["id"], time.time())
PY
read -r order placed_at <"$tmp/placed"
wait_for "levels_at burst" 100
done_at=$(python3 -c 'import time; print(time.time())')
wait_for "eval bp_refs | grep -cx $order" 1
order_at=$(python3 -c 'import time; print(time.time())')

step="requests"
# what the burst cost the inventory flow: Brightpearl product and
# availability reads, BigCommerce stock writes (the order import's own
# requests are counted apart)
bp_prod=$(count brightpearl "GET /product-service/product/{idset}")
bp_avail=$(count brightpearl "GET /warehouse-service/product-availability/{idset}")
bc_put=$(count bigcommerce "PUT v3/inventory/adjustments/absolute")
bp_all=$(count brightpearl)
bc_all=$(count bigcommerce)
echo "burst of 100: Brightpearl product reads $bp_prod, availability reads $bp_avail ($bp_all requests in all, the order's included); BigCommerce stock writes $bc_put ($bc_all in all)"
curl -s "$control/requests/recent?platform=bigcommerce" | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["path"].endswith("adjustments/absolute"):
        print("  stock write: %d items, status %s" % (len(json.loads(r["body"])["items"]), r["status"]))'
[ "$bp_avail" -ge 1 ] && [ "$bp_avail" -le 5 ] || fail "$bp_avail availability reads for 100 stock changes"
[ "$bp_prod" -le 5 ] || fail "$bp_prod product reads for 100 stock changes"
[ "$bc_put" -ge 1 ] && [ "$bc_put" -le 5 ] || fail "$bc_put stock writes for 100 stock changes"
[ "$bp_all" -le 40 ] || fail "$bp_all Brightpearl requests during the burst"
[ "$bc_all" -le 30 ] || fail "$bc_all BigCommerce requests during the burst"

step="the order was not held up"
# imported within the 20 s wait_for allows at most; and the stock did
# not have to finish first for it (nothing orders the two)
python3 -c "import sys; d = $order_at - $placed_at; print('order %s in Brightpearl %.1f s after it was placed; levels done %.1f s after it' % ('$order', d, $done_at - $placed_at))"

stop_worker
if grep -q -e "Sanitizer" -e "runtime error:" "$tmp/w.err" "$tmp/sandbox.err"; then
	fail "sanitizer report: $(grep -h -A5 -e Sanitizer -e 'runtime error:' "$tmp/w.err" "$tmp/sandbox.err" | head -20)"
fi
echo "PASS"
