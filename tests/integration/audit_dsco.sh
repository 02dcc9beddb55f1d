#!/bin/sh
# audit_dsco.sh - the audit trail is not BigCommerce's alone: a DSCO
# purchase order goes through the real worker (listener on) against the
# sandbox into Brightpearl, Brightpearl ships it and the package reaches
# DSCO (both read from the sandbox's state); then `pearlsync audit` given
# the PO number, DSCO's order id or Brightpearl's order id prints one
# timeline holding the import and the shipment, each attempt with its
# settings version and requests.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }

start_sandbox --seed demo --quota off --dsco-async-ms 50
ds_url=$(awk '$1 == "dsco" { print $2 }' "$tmp/sandbox.out")
[ -n "$ds_url" ] || { echo "SKIP: no DSCO in the sandbox"; exit 77; }

step="configure"
connect_platforms
ok settings set brightpearl.installed_integration_instance_id 7
ok settings set webhooks.secret audit-secret-7731
ok settings set dsco.base_url "$ds_url"
ok settings set dsco.client_id sandbox-client
ok settings set dsco.client_secret sandbox-secret
ok settings set dsco.enabled true
ok settings set dsco.orders.enabled true
ok settings set dsco.customers.mode auto
ok settings set dsco.items.match_field sku
ok settings set dsco.items.bp_field sku
ok settings set dsco.order_status 2
ok settings set dsco.channel_id 1
ok settings set dsco.defaults.warehouse_id 2
ok settings set dsco.defaults.tax_code T
ok mappings set dsco_shipping_method 'bp>dsco' 7 UPCG
ok mappings set dsco_warehouse 'bp>dsco' 2 WH01
ok settings set dsco.shipment_trigger goods_out
ok settings set sync.poll_interval_seconds 5
sb_post dsco/config '{"asyncDelayMs":50,"untilLagS":0}'

# ctl METHOD PATH [JSON] - a control call's reply on stdout
ctl() { curl -sf -X "$1" ${3:+-d "$3"} "$control/$2" || fail "control $1 $2"; }
py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

step="purchase order"
po=AUDIT-PO-1
dsid=$(ctl POST dsco/orders '{"poNumber":"'$po'","lines":[{"lineNumber":1,"sku":"TEE-RED-S","quantity":1,"expectedCost":5.0}],"shipping":{"name":"Dee Sco","firstName":"Dee","lastName":"Sco","address1":"1 Test St","city":"Columbus","region":"OH","postal":"43004","country":"US","email":"dee@example.com"}}' |
	py '(d.get("order") or d)["dscoOrderId"]')
[ -n "$dsid" ] || fail "no DSCO order id"
start_worker
bp_order() {
	ctl GET brightpearl/orders | python3 -c "
import json,sys
d=json.load(sys.stdin)
o=d if isinstance(d,list) else d.get('orders', [])
m=[x['id'] for x in o if x.get('customerRef')=='$po' or x.get('reference')=='$po']
print(m[0] if m else '')"
}
wait_for_value() {
	_i=0
	until [ -n "$($1)" ]; do
		_i=$((_i + 1))
		[ "$_i" -le 300 ] || fail "$1 stayed empty; worker: $(tail -5 "$tmp/w.err")"
		sleep 0.1
	done
}
wait_for_value bp_order
bpid=$(bp_order)

step="shipment"
ctl POST brightpearl/ship '{"orderId":'"$bpid"',"warehouseId":2,"tracking":"TRK-AUDIT-1","shippingMethodId":7,"ship":true}' >/dev/null
packages() {
	ctl GET dsco/state | python3 -c "
import json,sys
d=json.load(sys.stdin)
o=[x for x in (d.get('dsco',d).get('orders') or {}).values() if x.get('poNumber')=='$po']
print(len(o[0].get('packages') or []) if o else 0)"
}
wait_for packages 1
ship_synced() {
	"$ps" audit "$po" --json | python3 -c "import json,sys; d=json.load(sys.stdin); print(any(s['kind']=='outcome' and s['what'] in ('goods-out-note.ship','order.ship') and s['outcome']=='synced' for s in d['steps']))"
}
wait_for ship_synced True
stop_worker

step="audit"
ok audit "$po" --json
cp "$tmp/out" "$tmp/by_po.json"
python3 - "$tmp/by_po.json" <<'PY' || fail "the PO's timeline"
import json, sys
steps = json.load(open(sys.argv[1]))["steps"]
rec = {s["what"] for s in steps if s["kind"] == "recorded"}
if "order.import" not in rec:
    sys.exit("no import recorded: %r" % rec)
if not rec & {"goods-out-note.ship", "order.ship"}:
    sys.exit("no shipment recorded: %r" % rec)
att = [s for s in steps if s["kind"] == "attempt"]
if not att or any(s["settings_version"] is None for s in att):
    sys.exit("attempts without a settings version")
plats = {s["platform"] for s in steps if s["kind"] == "request"}
if not {"dsco", "brightpearl"} <= plats:
    sys.exit("requests to %r only" % plats)
PY
for id in "dsco:$dsid" "bp:$bpid"; do
	ok audit "$id" --json
	python3 - "$tmp/by_po.json" "$tmp/out" <<'PY' || fail "$id gives another timeline"
import json, sys
a = [s["text"] for s in json.load(open(sys.argv[1]))["steps"]]
b = [s["text"] for s in json.load(open(sys.argv[2]))["steps"]]
sys.exit(a != b)
PY
done
ok audit "$po"
cp "$tmp/out" "${PS_AUDIT_CAPTURE:-$tmp}/audit_dsco_po.txt" 2>/dev/null || :
if grep -q -e sandbox-secret -e audit-secret-7731 "$tmp/out" "$tmp/by_po.json"; then
	fail "a secret in the audit"
fi
cp "$tmp/w.err" "$tmp/err"
check_sanitizers
# no audit write was dropped
! grep -q "audit trail:" "$tmp/w.err" || fail "$(grep "audit trail:" "$tmp/w.err" | head -3)"
exit 0
