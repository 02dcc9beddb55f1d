#!/bin/sh
# An import under the pessimistic reading of Brightpearl's multi-message
# accounting (the sandbox's --bp-multi-message-cost per_message: each
# message in a multi-message is one request of the quota) and a small
# rolling window (BP_LIMIT requests per BP_WINDOW_MS): the worker, listener
# on, imports a backlog of orders whose customers, orders, payments and
# reservations go in multi-messages of up to ten, and Brightpearl never
# has to refuse it (no throttle 503 in the sandbox's counters), every order
# is in Brightpearl once with one payment, and the quota was charged by
# the message (more units than requests), so the run did exercise it.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
orders=${ORDERS_N:-30}
limit=${BP_LIMIT:-40}
window_ms=${BP_WINDOW_MS:-4000}

start_sandbox --seed demo --quota off --bp-multi-message-cost per_message
connect_sandbox
ok settings set bigcommerce.payments.enabled true
ok mappings set-default payment_method 'bc>bp' BIGCOMMERCE
ok settings set sync.poll_interval_seconds 5

step="a backlog of $orders orders, half of them from new customers"
python3 - "$control" "$orders" <<'PY'
import json, sys, urllib.request
control, n = sys.argv[1], int(sys.argv[2])
for k in range(n):
    email = ("r%d@example.com" % (k % 5)) if k % 2 else ("n%d@example.com" % k)
    body = {"billing_address": {"first_name": "A", "last_name": "B",
                                "email": email, "street_1": "1 St",
                                "city": "C", "zip": "12345",
                                "country_iso2": "US"},
            "customer": {"email": email, "first_name": "A", "last_name": "B"},
            "lines": [{"sku": "TEE-RED-M", "quantity": 1}],
            "status_id": 11, "payment": {"gateway": "stripe", "captured": True}}
    req = urllib.request.Request(control + "/bigcommerce/orders",
                                 data=json.dumps(body).encode(), method="POST")
    urllib.request.urlopen(req).read()
PY
sb_post brightpearl/quota "{\"limit\":$limit,\"window_ms\":$window_ms}"
sb_post requests/reset '{}'
units0=$(curl -s "$control/brightpearl/config" | python3 -c 'import json,sys; print(json.load(sys.stdin)["units_charged"])')

step="the worker imports them within the quota"
want=$((orders + 2)) # and the demo store's own two
start_worker
count() { bp_refs | wc -l | tr -d ' '; }
i=0
until [ "$(count)" -ge "$want" ]; do
	i=$((i + 1))
	[ "$i" -le 900 ] || fail "$(count) of $want orders in after 90 s; worker: $(tail -5 "$tmp/w.err")"
	sleep 0.1
done
# the payments and reservations follow the orders
paid() {
	curl -s "$control/brightpearl/state" | python3 -c 'import json,sys; print(len({p.get("orderId") for p in json.load(sys.stdin)["payments"].values()}))'
}
i=0
until [ "$(paid)" -ge "$orders" ]; do
	i=$((i + 1))
	[ "$i" -le 600 ] || fail "$(paid) of $orders orders paid after 60 s; worker: $(tail -5 "$tmp/w.err")"
	sleep 0.1
done
stop_worker

step="the sandbox: no throttle, every order once, paid once"
curl -s "$control/requests" >"$tmp/requests.json"
curl -s "$control/brightpearl/state" >"$tmp/state.json"
curl -s "$control/brightpearl/config" >"$tmp/config.json"
python3 - "$tmp/requests.json" "$tmp/state.json" "$tmp/config.json" "$want" "$units0" <<'PY' || fail "see above"
import collections, json, sys
req = json.load(open(sys.argv[1]))["brightpearl"]
st = json.load(open(sys.argv[2]))
units = json.load(open(sys.argv[3]))["units_charged"] - int(sys.argv[5])
want = int(sys.argv[4])
eps = req["endpoints"]
bad = []
if eps.get("throttled", 0):
    bad.append("%d throttle 503s" % eps["throttled"])
refs = collections.Counter(o.get("externalRef") for o in st["orders"].values()
                           if o.get("externalRef"))
if len(refs) != want:
    bad.append("%d distinct orders, want %d" % (len(refs), want))
dups = [r for r, c in refs.items() if c > 1]
if dups:
    bad.append("orders twice: %s" % dups[:5])
by_order = collections.Counter(p.get("orderId") for p in st["payments"].values())
if len(by_order) < want - 2 or any(c > 1 for c in by_order.values()):
    bad.append("payments per order: %s" % dict(by_order))
if eps.get("POST /multi-message", 0) == 0 or units <= req["total"]:
    bad.append("multi-messages %s, units %d, requests %d: per-message "
               "charging not exercised" % (eps.get("POST /multi-message"),
                                           units, req["total"]))
print("requests %d, units %d, multi-messages %d, orders %d" %
      (req["total"], units, eps.get("POST /multi-message", 0), len(refs)))
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
grep -q "sandbox-token" "$tmp/w.err" && fail "token printed"
echo ok
