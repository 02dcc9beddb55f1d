#!/bin/sh
# Goods-out notes to ShipHero and tracking back, exactly once through the
# real worker: `pearlsync worker` runs with its listener on (the systemd
# default), so the sandbox delivers Brightpearl's and ShipHero's webhooks
# to it.  Over SH_ROUNDS rounds (default 14) SH_PER notes (default 4) are
# created through the Brightpearl simulator (in the two mapped
# warehouses), the ShipHero orders made so far are shipped through
# ShipHero's control API (whole; every fifth note in two shipments; every
# seventh only its first line), and the worker is killed with SIGKILL at a
# seeded random moment; 30% of both platforms' replies fail throughout.
# The faults then stop, a last worker finishes, and from both simulators'
# state: every note has exactly one ShipHero order; every wholly shipped
# note is shipped once in Brightpearl (one SHW event) with a tracking
# number of its own as the reference and, for a split note, the other
# one noted once on the order (which shipment is read first, and so
# gives the reference, kills and faults may change); a partly shipped
# note carries its tracking and is not shipped.
# SH_SEED changes the kill moments and the faults.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
rounds=${SH_ROUNDS:-14}
per=${SH_PER:-4}
seed=${SH_SEED:-20261203}
n=$((rounds * per))
t_start=$(date +%s)

start_sandbox
sh_url=$(awk '$1 == "shiphero" { print $2 }' "$tmp/sandbox.out")
[ -n "$sh_url" ] || fail "the sandbox names no ShipHero URL"

step="configure"
connect_platforms
ok settings set brightpearl.installed_integration_instance_id 7
ok settings set webhooks.secret shell-secret-5150
ok settings set shiphero.enabled true
ok settings set shiphero.base_url "$sh_url"
ok settings set shiphero.username sandbox@example.com
printf 'sandbox-password\n' >"$tmp/pw"
run_in "$tmp/pw" settings set shiphero.password -
[ "$rc" -eq 0 ] || fail "settings set shiphero.password: $(cat "$tmp/err")"
ok check-connection sh
ok settings set shiphero.orders.enabled true
ok settings set shiphero.orders.delete_check_minutes 0
ok settings set shiphero.go_live "$(date -u -d '-1 min' +%Y-%m-%dT%H:%M:%SZ)"
ok settings set sync.poll_interval_seconds 5
ok mappings set shiphero_warehouse 'bp>sh' 2 V2FyZWhvdXNlOjcxNDU= # Primary
ok mappings set shiphero_warehouse 'bp>sh' 3 V2FyZWhvdXNlOjcxNDY= # East
ok mappings set shiphero_shipping_method 'bp>sh' 7 UPS/Ground
# retries of lost webhooks within seconds, not minutes
sb_post webhooks '{"platform":"shiphero","time_scale":1000,"seed":7}'
sb_post webhooks '{"platform":"brightpearl","time_scale":1000,"seed":7}'

# The sales orders first (the API, not the control calls, sees faults);
# their goods-out notes come round by round.
i=1
while [ "$i" -le "$n" ]; do
	curl -sf -X POST "$bp_url/public-api/sandbox/order-service/sales-order" \
		-H 'brightpearl-app-ref: sandbox_pearlsync' \
		-H 'brightpearl-account-token: sandbox-token' \
		-H 'Content-Type: application/json' \
		-d '{"customer":{"id":201},"ref":"SO-K'"$i"'","statusId":2,"warehouseId":2,"delivery":{"shippingMethodId":7},"rows":[{"productId":1001,"name":"TEE-RED-S","quantity":2,"taxCode":"T","net":20,"tax":0},{"productId":1007,"name":"MUG-LOGO","quantity":1,"taxCode":"T","net":8,"tax":0}]}' \
		>"$tmp/so" || fail "sales order $i"
	echo "$i $(grep -o '[0-9][0-9]*' "$tmp/so")" >>"$tmp/orders"
	i=$((i + 1))
done

# notes: index order_id gon_id warehouse; shipped: gon ids already shipped
: >"$tmp/notes"
: >"$tmp/shipped"
make_notes() { # make_notes FROM TO
	awk -v a="$1" -v b="$2" '$1 >= a && $1 <= b' "$tmp/orders" |
		while read -r idx oid; do
			wh=$((2 + idx % 2))
			sb_post brightpearl/ship '{"orderId":'"$oid"',"warehouseId":'"$wh"',"shippingMethodId":7,"ship":false}'
			g=$(grep -o '[0-9][0-9]*' "$tmp/sb.reply" | head -n 1)
			echo "$idx $oid $g $wh" >>"$tmp/notes"
		done
}

# ship_ready - ship every ShipHero order not yet shipped: whole, split
# (idx % 5 == 0) or partial (idx % 7 == 0)
ship_ready() {
	curl -s "$control/shiphero/orders" >"$tmp/sh.json"
	python3 - "$tmp/sh.json" "$tmp/notes" "$tmp/shipped" >"$tmp/plan" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
orders = d["orders"] if isinstance(d, dict) else d
by = {o.get("partner_order_id"): o for o in orders}
done = set(l.strip() for l in open(sys.argv[3]) if l.strip())
for l in open(sys.argv[2]):
    idx, oid, g, wh = l.split()
    o = by.get("BP-GON-" + g)
    if o is None or g in done or o.get("fulfillment_status") == "canceled":
        continue
    lines = [(x["partner_line_item_id"], x["quantity"]) for x in o["line_items"]]
    def pkg(ls, trk):
        return {"lines": [{"partner_line_item_id": p, "quantity": q} for p, q in ls],
                "tracking_number": trk, "carrier": "UPS", "method": "Ground"}
    idx = int(idx)
    if idx % 7 == 0:
        bodies = [{"packages": [pkg(lines[:1], "TRK-%d-a" % idx)]}]
    elif idx % 5 == 0:
        bodies = [{"packages": [pkg(lines[:1], "TRK-%d-a" % idx)]},
                  {"packages": [pkg(lines[1:], "TRK-%d-b" % idx)]}]
    else:
        bodies = [{"packages": [pkg(lines, "TRK-%d" % idx)]}]
    for b in bodies:
        print(g, json.dumps(b))
EOF
	while read -r g body; do
		sb_post "shiphero/orders/BP-GON-$g/ship" "$body"
		grep -qx "$g" "$tmp/shipped" || echo "$g" >>"$tmp/shipped"
	done <"$tmp/plan"
}

awk -v s="$seed" -v k="$rounds" 'BEGIN { srand(s); for (i = 0; i < k; i++) printf "%.2f\n", 0.3 + rand() * 2.2 }' >"$tmp/delays"
sb_post faults '{"platform":"*","rate":0.3,"seed":'"$seed"',"kinds":["429","503","500","drop","truncate"]}'
step="rounds"
start_worker # finds a free port; later rounds reuse it
r=0
while read -r d; do
	make_notes $((r * per + 1)) $(((r + 1) * per))
	ship_ready
	[ -n "$worker_pid" ] || spawn_worker
	sleep "$d"
	stop_worker KILL
	r=$((r + 1))
done <"$tmp/delays"
sb_post faults '{"platform":"*","rate":0}'
echo "after $rounds SIGKILLs: $(wc -l <"$tmp/shipped") of $n notes shipped in ShipHero"

# check FINAL - 0 when the state is what it must be; FINAL=1 prints why not
check() {
	curl -s "$control/shiphero/orders" >"$tmp/sh.json"
	curl -s "$control/brightpearl/state" >"$tmp/bp.json"
	python3 - "$tmp/sh.json" "$tmp/bp.json" "$tmp/notes" >"$tmp/check" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
orders = d["orders"] if isinstance(d, dict) else d
bp = json.load(open(sys.argv[2]))
count = {}
for o in orders:
    count[o.get("partner_order_id")] = count.get(o.get("partner_order_id"), 0) + 1
notes = bp.get("notes") or []
if isinstance(notes, dict):
    flat = []
    for k, v in notes.items():
        flat.extend(v if isinstance(v, list) else [v])
    notes = flat
bad = []
n = 0
for l in open(sys.argv[3]):
    idx, oid, g, wh = l.split()
    idx = int(idx)
    n += 1
    c = count.get("BP-GON-" + g, 0)
    if c != 1:
        bad.append("note %s: %d ShipHero orders" % (g, c))
    gon = bp["goodsOutNotes"].get(g, {})
    shipped = (gon.get("status") or {}).get("shipped")
    shw = sum(1 for e in gon.get("events", []) if e.get("eventCode") == "SHW")
    ref = (gon.get("shipping") or {}).get("reference", "")
    noted = lambda t: sum(1 for x in notes if str(x.get("orderId")) == oid
                          and t in (x.get("text") or ""))
    if idx % 7 == 0:
        want, want_ship, want_shw = ("TRK-%d-a" % idx,), False, 0
    elif idx % 5 == 0:
        # whichever shipment is read first gives the reference (kills
        # and faults may reorder them); the other is noted, once
        want, want_ship, want_shw = ("TRK-%d-a" % idx, "TRK-%d-b" % idx), True, 1
    else:
        want, want_ship, want_shw = ("TRK-%d" % idx,), True, 1
    if ref not in want or bool(shipped) != want_ship or shw != want_shw:
        bad.append("note %s: shipped %s, %d SHW, tracking '%s' (want %s)"
                   % (g, shipped, shw, ref, "/".join(want)))
    for t in want:
        if t != ref and noted(t) != 1:
            bad.append("order %s: %s noted %d times" % (oid, t, noted(t)))
    if noted(ref) != 0:
        bad.append("order %s: its reference %s noted too" % (oid, ref))
extra = sum(count.values()) - n
if extra:
    bad.append("%d ShipHero orders beyond the notes" % extra)
print("; ".join(bad[:6]) + (" ..." if len(bad) > 6 else "") if bad else
      "%d notes, %d ShipHero orders" % (n, sum(count.values())))
sys.exit(1 if bad else 0)
EOF
}

step="catch-up"
spawn_worker
tries=0
while :; do
	ship_ready
	check && break
	tries=$((tries + 1))
	# Entries the faults failed wait out their backoff (up to minutes):
	# each must be due again by itself (none waits for the operator);
	# then the operator's retry brings them forward.
	if [ $((tries % 10)) -eq 0 ]; then
		ok logs --status failed --limit 1000 --json
		python3 -c '
import json, sys
bad = [e for e in json.load(open(sys.argv[1])) if not e.get("next_attempt_at_ms")]
for e in bad:
    print("entry %s waits for the operator: %s" % (e.get("id"), e.get("reason")))
sys.exit(1 if bad else 0)' "$tmp/out" >"$tmp/stuck" || fail "$(cat "$tmp/stuck")"
		ok retry --failed
	fi
	if [ "$tries" -gt 60 ]; then
		"$ps" logs --flow shiphero-orders --limit 1000 >"$tmp/log" 2>&1 || :
		grep -v ' synced ' "$tmp/log" | head -n 20 >&2
		fail "never converged: $(cat "$tmp/check"); worker: $(tail -5 "$tmp/w.err")"
	fi
	sleep 0.5
done
sleep 2 # anything late would show now
stop_worker
check || fail "after settling: $(cat "$tmp/check")"
ok status --json
grep -q '"failed": *[1-9]' "$tmp/out" && fail "failed entries: $(cat "$tmp/out")"
# The sync log's columns (the guide's): Order # = the customer reference,
# the note's total, the shipping method and the shipment status, on the
# export entries (also those that found their order after a kill) and
# on the tracking entries.
ok logs --flow shiphero-orders --limit 1000 --json
cp "$tmp/out" "$tmp/exp.json"
ok logs --flow shiphero-tracking --limit 1000 --json
python3 - "$tmp/exp.json" "$tmp/out" "$tmp/notes" >"$tmp/cols" <<'EOF2' || fail "log columns: $(cat "$tmp/cols")"
import json, sys
exp = json.load(open(sys.argv[1]))
trk = json.load(open(sys.argv[2]))
idx = {}
for l in open(sys.argv[3]):
    i, oid, g, wh = l.split()
    idx[g] = int(i)
bad, adopted = [], 0
def cols(e, g, method, statuses):
    i = idx[g]
    got = (e.get("order_number"), e.get("total"), e.get("currency"),
           e.get("shipping_method"))
    want = ("SO-K%d" % i, "28.00", "USD", method)
    if got != want or e.get("shipment_status") not in statuses:
        bad.append("%s entry %s: %s %s, want %s %s" % (e["flow"], e["id"],
                   got, e.get("shipment_status"), want, statuses))
for e in exp:
    if e.get("kind") != "goods-out-note.export":
        continue
    adopted += "already there" in (e.get("detail") or "")
    cols(e, e["subject"], "UPS/Ground", ("pending", "fulfilled"))
for e in trk:
    g = e.get("subject_order")
    i = idx[g]
    if i % 7 == 0:
        want = ("partial: 2/3 units",)
    elif i % 5 == 0: # either shipment may be read first
        want = ("partial: 2/3 units", "partial: 1/3 units", "shipped")
    else:
        want = ("shipped",)
    cols(e, g, "UPS Ground", want)  # the label's carrier and method
print("; ".join(bad[:4]) if bad else
      "%d export entries (%d found after a kill), %d tracking entries" % (
          sum(1 for e in exp if e.get("kind") == "goods-out-note.export"), adopted, len(trk)))
sys.exit(1 if bad else 0)
EOF2
echo "log columns: $(cat "$tmp/cols")"
echo "$rounds SIGKILLs, 30% faults: $(cat "$tmp/check"), each shipped once with its tracking ($(($(date +%s) - t_start)) s)"
exit 0
