#!/bin/sh
# DSCO purchase orders exactly once through the real worker: DSCO_N POs
# (default 40, plus the demo's four) are imported while `pearlsync worker`
# is killed with SIGKILL at seeded random moments, first cleanly and then
# with 30% of the sandbox's DSCO replies faulted while the kills go on, and
# then with Brightpearl's faulted as well (the faults stop before the final
# catch-up run).  Afterwards every import
# entry is synced, Brightpearl holds exactly one sales order per PO (by
# externalRef DSCO-<dscoOrderId>) and DSCO's order change log holds
# exactly one acknowledgement per PO, naming that order.  The Brightpearl
# duplicate guard (installedIntegrationInstanceId) is left unset so the
# flow's own lookup by externalRef is what prevents duplicates.
# DSCO_SEED changes the kill moments and the fault sequence.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
n=${DSCO_N:-40}
seed=${DSCO_SEED:-20261203}
kills=${DSCO_KILLS:-12}

start_sandbox
ds_url=$(awk '$1 == "dsco" { print $2 }' "$tmp/sandbox.out")
[ -n "$ds_url" ] || fail "the sandbox names no DSCO URL"

configure() {
	rm -f "$db" "$db-wal" "$db-shm"
	connect_platforms # the duplicate guard stays unset (see above)
	ok settings set dsco.base_url "$ds_url"
	ok settings set dsco.client_id sandbox-client
	ok settings set dsco.client_secret sandbox-secret
	ok settings set dsco.enabled true
	ok settings set dsco.orders.enabled true
	ok settings set dsco.order_status 2
	ok settings set dsco.channel_id 1
	ok settings set dsco.defaults.warehouse_id 2
	ok settings set dsco.defaults.tax_code T
	ok settings set sync.poll_interval_seconds 5
	# change logs at once and no lag on the window: rounds are short
	sb_post dsco/config '{"asyncDelayMs":50,"untilLagS":0}'
}

place_pos() {
	sb_post dsco/orders-bulk '{"count":'"$n"',"prefix":"KILL-'"$1"'","template":{"lines":[{"sku":"TEE-RED-M","quantity":2,"expectedCost":5.5},{"sku":"MUG-LOGO","quantity":1,"expectedCost":4}],"shipping":{"name":"Kim Kill","address1":"1 St","city":"C","postal":"12345","country":"US","email":"kim@example.com"}}}'
}

kill_loop() {
	awk -v s="$seed$1" -v k="$kills" 'BEGIN { srand(s); for (i = 0; i < k; i++) printf "%.2f\n", 0.4 + rand() * 2.6 }' >"$tmp/delays"
	while read -r d; do
		spawn_worker --no-listen
		sleep "$d"
		stop_worker KILL
	done <"$tmp/delays"
	echo "$step: $(curl -s "$control/brightpearl/state" | grep -o '"externalRef": *"DSCO-' | wc -l) orders before the catch-up"
}

converge() {
	tries=0
	while :; do
		"$PS_BIN_DIR/pearlsync" worker --once >"$tmp/out" 2>"$tmp/err" || true
		check_sanitizers
		ok status --json
		grep -q '"pending"\|"in_flight"\|"failed"' "$tmp/out" || break
		tries=$((tries + 1))
		[ "$tries" -le 10 ] || fail "entries never all synced: $(cat "$tmp/out")"
		ok retry --failed
	done
}

# check WHAT - one Brightpearl order and one acknowledgement per PO
check() {
	curl -s "$control/brightpearl/state" >"$tmp/bp.json"
	curl -s "$control/dsco/state" >"$tmp/ds.json"
	python3 - "$tmp/bp.json" "$tmp/ds.json" >"$tmp/check" <<'EOF' || fail "$1: $(cat "$tmp/check")"
import json, sys
bp = json.load(open(sys.argv[1]))
ds = json.load(open(sys.argv[2]))
refs = {}
for o in bp["orders"].values():
    r = o.get("externalRef") or ""
    if r.startswith("DSCO-"):
        refs.setdefault(r[5:], []).append(o["id"])
acks = {}
for e in ds["logs"]["order"]:
    p = e["payload"]
    if "shipments" in p or "lineItems" in p:
        continue
    acks.setdefault(p.get("id") or p.get("dscoOrderId"), []).append(p)
bad = []
for oid, o in ds["orders"].items():
    if o.get("dscoLifecycle") != "acknowledged":
        bad.append("%s is %s" % (oid, o.get("dscoLifecycle")))
    if len(refs.get(oid, [])) != 1:
        bad.append("%s has %d Brightpearl orders" % (oid, len(refs.get(oid, []))))
    elif o.get("supplierOrderNumber") != str(refs[oid][0]):
        bad.append("%s names %s, not %s" % (oid, o.get("supplierOrderNumber"), refs[oid][0]))
    if len(acks.get(oid, [])) != 1:
        bad.append("%s acknowledged %d times" % (oid, len(acks.get(oid, []))))
print("; ".join(bad) if bad else "%d POs, %d orders" % (len(ds["orders"]), sum(map(len, refs.values()))))
sys.exit(1 if bad else 0)
EOF
	echo "$1: $(cat "$tmp/check"), each acknowledged once"
}

step="kills"
configure
place_pos a
kill_loop a
converge
check "$kills SIGKILLs"

step="kills with faults"
sb_post reset '{"seed":"demo"}'
configure
place_pos b
sb_post faults '{"platform":"dsco","rate":0.3,"seed":'"$seed"',"kinds":["429","503","500","drop","truncate"]}'
kill_loop b
sb_post faults '{"platform":"*","rate":0}'
converge
check "$kills SIGKILLs and 30% faulted DSCO replies"

# Brightpearl too: a sales-order POST whose reply is lost leaves its fate
# unknown, and only the lookup by externalRef keeps the retry from
# creating a second order
step="kills with faults on both sides"
sb_post reset '{"seed":"demo"}'
configure
place_pos c
sb_post faults '{"platform":"*","rate":0.3,"seed":'"$seed"',"kinds":["429","503","500","drop","truncate"]}'
kill_loop c
sb_post faults '{"platform":"*","rate":0}'
converge
check "$kills SIGKILLs and 30% faulted DSCO and Brightpearl replies"
exit 0
