#!/bin/sh
# audit_kill.sh - an attempt cut short by kill -9 stays in the audit trail.
#
# Brightpearl answers slowly (the sandbox's latency fault), an order is
# placed, and the worker is killed while its import is under way (an
# attempt is open in the trail).  Restarted, the worker finishes the
# import: Brightpearl holds the order once (the sandbox's state), and
# `pearlsync audit` shows the killed attempt as never ended, then the
# attempt that synced it.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }

start_sandbox
connect_sandbox
ok settings set sync.poll_interval_seconds 86400
bp_count() { bp_refs | wc -l | tr -d ' '; }

step="demo orders"
start_worker
wait_for bp_count 2

step="kill during an import"
sb_post faults '{"platform":"brightpearl","rate":1,"kinds":["latency"],"latency_ms":1500,"seed":1}'
sb_post bigcommerce/orders '{"billing_address":{"first_name":"Kil","last_name":"Nine","email":"kill@example.com","street_1":"9 Kill St","city":"Austin","zip":"78701","country_iso2":"US"},"lines":[{"sku":"CAP-BLK","quantity":1}],"status_id":11}'
oid=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['order']['id'])" "$tmp/sb.reply")
in_flight() { sqlite3 "$db" "SELECT COUNT(*) FROM audit WHERE kind = 3 AND ended_at IS NULL"; }
wait_for in_flight 1
stop_worker KILL

step="restart"
sb_post faults '{"platform":"brightpearl","rate":0}'
start_worker
wait_for bp_count 3
synced() {
	"$ps" audit "$oid" --json | python3 -c "import json,sys; print(any(s['kind']=='outcome' and s['outcome']=='synced' for s in json.load(sys.stdin)['steps']))"
}
wait_for synced True
stop_worker
[ "$(bp_refs | grep -c "^$oid\$")" -eq 1 ] || fail "order $oid not in Brightpearl once"

step="audit"
ok audit "$oid" --json
python3 - "$tmp/out" <<'PY' || fail "audit after kill -9"
import json, sys
steps = json.load(open(sys.argv[1]))["steps"]
att = [s for s in steps if s["kind"] == "attempt" and s["flow"] == "order_import_bc"]
if len(att) < 2:
    sys.exit("want the killed and the synced attempt, got %d" % len(att))
if att[0]["ended_at_ms"] is not None or "never ended" not in att[0]["text"]:
    sys.exit("first attempt: %r" % att[0])
if att[-1]["outcome"] != "synced":
    sys.exit("last attempt: %r" % att[-1])
PY
ok audit "$oid"
cp "$tmp/out" "${PS_AUDIT_CAPTURE:-$tmp}/audit_after_kill.txt" 2>/dev/null || :
cp "$tmp/w.err" "$tmp/err"
check_sanitizers
# no audit write was dropped
! grep -q "audit trail:" "$tmp/w.err" || fail "$(grep "audit trail:" "$tmp/w.err" | head -3)"
exit 0
