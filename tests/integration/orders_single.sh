#!/bin/sh
# Orders arriving one at a time: the real worker (listener on, polling
# once a day) imports each BigCommerce order from its store/order/created
# callback alone, placed about a second after the one before was in
# Brightpearl.  From the sandbox's request counters: once the worker has
# met the customers, an order costs Brightpearl its sales-order POST, the
# read of its row ids and one multi-message carrying payment and
# reservation (no contact search or read: the contact directory), so N
# orders cost at most 3N requests (the reservation names the order's row
# ids, which only a read gives: see README.md, "Orders one at a time").
# From the sandbox's state: every order once, with its payment and
# reservation;
# and an order for a customer the merchant made in Brightpearl a moment
# before is filed under that contact, not a second one.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
py=/usr/bin/python3
[ -x "$py" ] || { echo "SKIP: python3 not installed"; exit 77; }

start_sandbox
connect_sandbox
ok settings set sync.poll_interval_seconds 86400
ok settings set bigcommerce.payments.enabled true
ok mappings set-default payment_method 'bc>bp' BIGCOMMERCE
for sku in TEE-RED-M MUG-LOGO; do # every reservation can be made
	sb_post brightpearl/stock '{"sku":"'$sku'","warehouseId":2,"inStock":10000}'
done

bp_count() { bp_refs | wc -l | tr -d ' '; }

# place EMAIL REGISTERED SKU - an order from EMAIL (a registered customer
# when REGISTERED is 1, else a guest) for SKU, then wait until it is in
# Brightpearl and a second has passed since it was placed
placed=0
place() {
	_body='{"billing_address":{"first_name":"S","last_name":"One","email":"'$1'","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"'$3'","quantity":1}],"status_id":11,"payment":{"gateway":"stripe","captured":true}'
	[ "$2" = 1 ] && _body="$_body"',"customer":{"email":"'$1'","first_name":"S","last_name":"One"}'
	_t0=$(date +%s%N)
	curl -sf -X POST "$control/bigcommerce/orders" -d "$_body}" >"$tmp/placed" || fail "placing an order for $1"
	grep -o '"order": *{"id": *[0-9]*' "$tmp/placed" | grep -o '[0-9]*$' >>"$tmp/ids"
	placed=$((placed + 1))
	wait_for bp_count $((placed + 2)) # and the demo store's two
	_left=$(((1000000000 - ($(date +%s%N) - _t0)) / 1000000))
	[ "$_left" -le 0 ] || sleep "$(printf '0.%03d' "$_left")"
}

# bp_requests - "TOTAL CONTACT ORDER_POSTS ROW_READS MULTI" from the
# sandbox's counters
bp_requests() {
	curl -s "$control/requests" | "$py" -c '
import json, sys
bp = json.load(sys.stdin).get("brightpearl", {})
ep = bp.get("endpoints", {})
print(bp.get("total", 0), sum(n for k, n in ep.items() if "contact" in k),
      ep.get("POST /order-service/sales-order", 0),
      ep.get("GET /order-service/order/{idset}", 0),
      ep.get("POST /multi-message", 0))'
}

step="hooks"
: >"$tmp/ids"
start_worker
wait_for hooks 4
wait_for bp_count 2

step="first orders"
# the worker meets the customers: two registered, one guest
place r1@example.com 1 TEE-RED-M
place r2@example.com 1 MUG-LOGO
place g1@example.com 0 TEE-RED-M
sleep 1 # the last one's payment and reservation
sb_post requests/reset '{}'

step="warm"
place r1@example.com 1 TEE-RED-M
place g1@example.com 0 MUG-LOGO
place r2@example.com 1 TEE-RED-M
place r1@example.com 1 MUG-LOGO
sleep 1
set -- $(bp_requests)
why="$(curl -s "$control/requests")"
[ "$1" -le 12 ] || fail "4 warm orders cost $1 Brightpearl requests, want at most 12: $why"
[ "$2" -eq 0 ] || fail "$2 contact requests for customers met before: $why"
[ "$3" -eq 4 ] || fail "$3 sales-order POSTs for 4 orders: $why"
[ "$4" -le 4 ] && [ "$5" -le 4 ] || fail "more than a row read and a multi-message an order: $why"

step="customer made in Brightpearl a moment before"
sb_post brightpearl/seed '{"customers":[{"email":"fresh@example.com","firstName":"F","lastName":"Resh"}]}'
fresh=$(grep -o '"customers": *\[[0-9]*' "$tmp/sb.reply" | grep -o '[0-9]*$')
[ -n "$fresh" ] || fail "no contact id in $(cat "$tmp/sb.reply")"
place fresh@example.com 0 TEE-RED-M
fresh_order=$(tail -1 "$tmp/ids")
sb_post brightpearl/seed '{"customers":[{"email":"fresh2@example.com","firstName":"F","lastName":"Two"}]}'
fresh2=$(grep -o '"customers": *\[[0-9]*' "$tmp/sb.reply" | grep -o '[0-9]*$')
place fresh2@example.com 1 MUG-LOGO
fresh2_order=$(tail -1 "$tmp/ids")
sleep 1

step="state"
curl -s "$control/brightpearl/state" >"$tmp/state.json"
"$py" - "$tmp/state.json" "$tmp/ids" "$fresh_order:$fresh" "$fresh2_order:$fresh2" >"$tmp/check" <<'PY' || fail "$(cat "$tmp/check")"
import json, sys
st = json.load(open(sys.argv[1]))
ids = [l.strip() for l in open(sys.argv[2]) if l.strip()]
fresh = dict(a.split(":") for a in sys.argv[3:5])  # BigCommerce order: contact
bad = []
orders = st.get("orders", {})
by_ref = {}
for oid, o in orders.items():
    by_ref.setdefault(o.get("externalRef"), []).append(oid)
paid = {str(p.get("orderId")) for p in st.get("payments", {}).values()}
reserved = {str(r.get("orderId")) for r in st.get("reservations", {}).values()}
for i in ids:
    got = by_ref.get(i, [])
    if len(got) != 1:
        bad.append("BigCommerce order %s is %d Brightpearl orders" % (i, len(got)))
        continue
    if got[0] not in paid:
        bad.append("order %s (%s) has no payment" % (got[0], i))
    if got[0] not in reserved:
        bad.append("order %s (%s) has no reservation" % (got[0], i))
count = {}
for c in st.get("contacts", {}).values():
    e = c.get("communication", {}).get("emails", {}).get("PRI", {}).get("email", "").lower()
    count[e] = count.get(e, 0) + 1
for e, k in count.items():
    if e and k > 1:
        bad.append("%d contacts with email %s" % (k, e))
for i, want in fresh.items():
    for oid in by_ref.get(i, []):
        o = orders[oid]
        c = (o.get("customer") or {}).get("id") or \
            (o.get("parties", {}).get("customer") or {}).get("contactId")
        if str(c) != want:
            bad.append("order %s (%s) filed under contact %s, not the "
                       "contact %s made in Brightpearl before it"
                       % (oid, i, c, want))
if bad:
    print("; ".join(bad))
    sys.exit(1)
PY

stop_worker
[ "$worker_rc" -eq 0 ] || fail "worker exit status $worker_rc"
cp "$tmp/w.err" "$tmp/err"
check_sanitizers
exit 0
