#!/bin/sh
# audit_trail.sh - one order's audit trail, end to end through the real
# worker (listener on) against the sandbox.
#
# The order is placed while Brightpearl answers 500 (the sandbox's fault
# control), so its import fails first; the operator retries it once the
# platform is back.  A settings change follows; then Brightpearl moves
# the order to a status synced back (status export) and ships it
# (shipment export).  Each outcome is read from the sandbox's state; then
# `pearlsync audit ORDER --json` must list every step in order: the
# webhook, the entries, the failed attempt with its reason and its
# requests' summaries, the operator's retry, each attempt's settings
# version (two of them), the same timeline whichever platform's id is
# given, and no secret anywhere.  Last, log.audit_keep_days prunes rows
# older than the limit and keeps the young ones.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }

start_sandbox
connect_sandbox
ok settings set bigcommerce.fulfilment.enabled true
ok settings set bigcommerce.orders.sync_statuses 7
ok mappings set order_status 'bp>bc' 7 9
# polls once at the start, then webhooks (and `run`): while Brightpearl
# fails, only the order's import talks to it
ok settings set sync.poll_interval_seconds 86400

bp_count() { bp_refs | wc -l | tr -d ' '; }
# json FILE EXPR - a python expression over the JSON document d in FILE
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

step="demo orders"
start_worker
wait_for bp_count 2

step="import fails"
sb_post faults '{"platform":"brightpearl","rate":1,"kinds":["500"],"seed":1}'
sb_post bigcommerce/orders '{"billing_address":{"first_name":"Ada","last_name":"Trail","email":"ada@example.com","street_1":"1 Audit St","city":"Austin","zip":"78701","country_iso2":"US"},"lines":[{"sku":"CAP-BLK","quantity":1}],"status_id":11}'
oid=$(json "$tmp/sb.reply" 'd["order"]["id"]')
import_status() {
	"$ps" logs --kind order.import --search "$oid" --json |
		python3 -c "import json,sys; e=[x for x in json.load(sys.stdin) if x['subject']=='$oid']; print(e[0]['status'] if e else 'none')"
}
wait_for import_status failed
eid=$("$ps" logs --kind order.import --search "$oid" --json |
	python3 -c "import json,sys; print([x for x in json.load(sys.stdin) if x['subject']=='$oid'][0]['id'])")

step="operator retry"
sb_post faults '{"platform":"brightpearl","rate":0}'
ok retry "$eid"
wait_for bp_count 3
bpid=$(curl -s "$control/brightpearl/orders" | python3 -c "import json,sys; d=json.load(sys.stdin); o=d if isinstance(d,list) else d.get('orders', d.get('response', [])); print([x['id'] for x in o if str(x.get('reference', x.get('externalRef','')))=='$oid' or str(x.get('externalRef',''))=='$oid'][0])")
[ -n "$bpid" ] || fail "no Brightpearl order for $oid"

step="settings change"
ok settings set sync.max_attempts 9

step="status export"
sb_post brightpearl/order-status '{"orderId":'"$bpid"',"statusId":7,"note":"ready"}'
bc_status() { curl -s "$control/bigcommerce/orders/$oid" | python3 -c "import json,sys; print(json.load(sys.stdin)['order']['status_id'])"; }
run run status_export_bc
wait_for bc_status 9

step="shipment"
sb_post brightpearl/ship '{"orderId":'"$bpid"',"warehouseId":2,"tracking":"1Z999AUDIT","shippingMethodId":6,"ship":true}'
bc_shipments() { curl -s "$control/bigcommerce/orders/$oid" | python3 -c "import json,sys; print(len(json.load(sys.stdin)['shipments']))"; }
run run shipment_export_bc
wait_for bc_shipments 1
# the shipment entry's outcome is recorded after the call returns
ship_synced() {
	"$ps" audit "$oid" --json | python3 -c "import json,sys; d=json.load(sys.stdin); print(any(s['kind']=='outcome' and s['what'] in ('goods-out-note.ship','order.ship') and s['outcome']=='synced' for s in d['steps']))"
}
wait_for ship_synced True
stop_worker
cp "$tmp/w.err" "$tmp/err"
check_sanitizers
! grep -q "audit trail:" "$tmp/w.err" || fail "$(grep "audit trail:" "$tmp/w.err" | head -3)"

step="audit"
ok audit "$oid" --json
cp "$tmp/out" "$tmp/audit.json"
cp "$tmp/out" "${PS_AUDIT_CAPTURE:-$tmp}/audit_json.txt" 2>/dev/null || :
python3 - "$tmp/audit.json" "$oid" "$eid" <<'PY' || fail "audit trail: see above"
import json, sys
d = json.load(open(sys.argv[1]))
oid, eid = sys.argv[2], int(sys.argv[3])
steps = d["steps"]
def bad(msg):
    print("FAIL:", msg, file=sys.stderr)
    for s in steps:
        print("  ", s["at_ms"], s["text"], file=sys.stderr)
    sys.exit(1)
# oldest first
ats = [s["at_ms"] for s in steps]
if ats != sorted(ats):
    bad("steps not in time order")
# the webhook that announced the order
if not any(s["kind"] == "event" and s["platform"] == "bigcommerce"
           and s["ref"] == "order " + oid for s in steps):
    bad("no event for the order")
imp = [s for s in steps if s["kind"] == "attempt" and s["entry_id"] == eid]
if len(imp) < 2:
    bad("import: want a failed and a synced attempt, got %d" % len(imp))
failed = [s for s in imp if s["outcome"].startswith("failed")]
if not failed or not failed[0]["reason"]:
    bad("no failed import attempt with a reason")
if imp[-1]["outcome"] != "synced" or not imp[-1]["ref"]:
    bad("the last import attempt is not synced with a target")
# the failed attempt's requests: Brightpearl answering 500
reqs = [s for s in steps if s["kind"] == "request"
        and s["attempt_id"] is not None and s["entry_id"] == eid]
f_reqs = [s for s in reqs if s["status"] == 500 and s["platform"] == "brightpearl"]
if not f_reqs:
    bad("no 500 request summary under the failed attempt")
for s in reqs:
    if not s["what"] or not s["ref"].startswith("/") or "?" in s["ref"]:
        bad("request summary without method or with a query: %r" % s)
    if s["duration_ms"] is None or s["bytes"] is None:
        bad("request summary without duration or bytes")
ok_reqs = [s for s in reqs if s["status"] in (200, 201)]
if not ok_reqs:
    bad("no successful request under the synced attempt")
# the operator's retry, between the two attempts
ops = [s for s in steps if s["kind"] == "operator" and s["entry_id"] == eid]
if not ops or not (failed[0]["at_ms"] <= ops[0]["at_ms"] <= imp[-1]["at_ms"]):
    bad("no operator retry between the failed and the synced attempt")
# status export and shipment, each with a synced attempt
def synced_kind(kinds):
    ids = {s["entry_id"] for s in steps if s["kind"] == "recorded" and s["what"] in kinds}
    return [s for s in steps if s["kind"] == "attempt" and s["entry_id"] in ids
            and s["outcome"] == "synced"]
st = synced_kind(("order.status",))
sh = synced_kind(("goods-out-note.ship", "order.ship"))
if not st:
    bad("no synced status export attempt")
if not sh:
    bad("no synced shipment attempt")
# every attempt carries its settings version; the change shows
for s in steps:
    if s["kind"] == "attempt" and s["settings_version"] is None:
        bad("attempt without settings version")
v_import = imp[-1]["settings_version"]
v_status = st[0]["settings_version"]
if not v_status > v_import:
    bad("settings change not seen: import v%s, status v%s" % (v_import, v_status))
if len(d["settings_versions"]) < 2 or v_import not in d["settings_versions"] \
        or v_status not in d["settings_versions"]:
    bad("settings_versions %r" % d["settings_versions"])
# order of the steps: import synced before the status export before the shipment
if not imp[-1]["at_ms"] <= st[0]["at_ms"] <= sh[0]["at_ms"]:
    bad("steps out of order")
print("audit ok: %d steps, versions %r" % (len(steps), d["settings_versions"]))
PY

step="same trail from the other side"
bpcode=$("$ps" --help | awk '$1 == "brightpearl" || $2 == "brightpearl" { print }' | head -1)
ok audit "bp:$bpid" --json
python3 - "$tmp/audit.json" "$tmp/out" <<'PY' || fail "bp:$bpid gives another timeline"
import json, sys
a = json.load(open(sys.argv[1]))["steps"]
b = json.load(open(sys.argv[2]))["steps"]
if [s["text"] for s in a] != [s["text"] for s in b]:
    sys.exit(1)
PY
ok audit "$oid"
expect_out "Audit trail of order $oid"
expect_out "settings history"
cp "$tmp/out" "${PS_AUDIT_CAPTURE:-$tmp}/audit_text.txt" 2>/dev/null || :

step="no secret"
for s in sandbox-token shell-secret-5150; do
	if grep -q -e "$s" "$tmp/audit.json" "$tmp/out"; then
		fail "secret '$s' in the audit output"
	fi
	if sqlite3 "$db" "SELECT * FROM audit" | grep -q -e "$s"; then
		fail "secret '$s' in the audit table"
	fi
done

step="bad usage"
run audit
expect_rc 2
run audit 999999
expect_rc 1
expect_err "no platform knows"

step="pruning"
total=$(sqlite3 "$db" "SELECT COUNT(*) FROM audit")
[ "$total" -gt 10 ] || fail "only $total audit rows"
# age the failed attempt's rows by 40 days; keep 30
sqlite3 "$db" "UPDATE audit SET at = at - 40*86400000 WHERE entry_id = $eid AND (outcome LIKE 'failed%' OR status = 500 OR kind = 5)"
old=$(sqlite3 "$db" "SELECT COUNT(*) FROM audit WHERE at < (strftime('%s','now') - 30*86400) * 1000")
[ "$old" -gt 0 ] || fail "no aged rows"
ok settings set log.audit_keep_days 30
start_worker
left() { sqlite3 "$db" "SELECT COUNT(*) FROM audit WHERE at < (strftime('%s','now') - 30*86400) * 1000"; }
wait_for left 0
stop_worker
young=$(sqlite3 "$db" "SELECT COUNT(*) FROM audit")
[ "$young" -ge $((total - old)) ] || fail "pruning took young rows: $young left of $total, $old old"
ok audit "$oid" --json
python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
a=[s for s in d['steps'] if s['kind']=='attempt' and s['entry_id']==int(sys.argv[2])]
assert a and all(s['outcome']=='synced' for s in a), a
" "$tmp/out" "$eid" || fail "after pruning: the young synced attempt must stay, the old failed one go"
cp "$tmp/w.err" "$tmp/err"
check_sanitizers
# no audit write was dropped
! grep -q "audit trail:" "$tmp/w.err" || fail "$(grep "audit trail:" "$tmp/w.err" | head -3)"
exit 0
