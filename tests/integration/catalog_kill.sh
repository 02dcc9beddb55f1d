#!/bin/sh
# Brightpearl products into the BigCommerce catalog exactly once through
# the real worker, killed with SIGKILL at seeded random moments while 30%
# of both platforms' replies fail (dropped, cut short, 5xx, 429): a cut
# reply to a create is the create made and its answer lost, as a kill
# right after it.  CAT_SIMPLE products (default 40) and CAT_GROUPS groups
# of three variants (default 4) are seeded; between kills some prices
# change.  Then the faults stop, a last worker finishes, and from the
# BigCommerce simulator's own catalog: every SKU is on exactly one
# product, there is one product per Brightpearl product or group, and
# every price is Brightpearl's latest.  CAT_SEED changes the moments and
# the faults.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
simple=${CAT_SIMPLE:-40}
groups=${CAT_GROUPS:-4}
rounds=${CAT_ROUNDS:-10}
seed=${CAT_SEED:-20261204}
t_start=$(date +%s)

start_sandbox --seed empty --quota off
step="configure"
connect_platforms
ok settings set bigcommerce.catalog.enabled true
ok settings set bigcommerce.catalog.price_list_id 1
ok settings set sync.poll_interval_seconds 5

# the products: KILL-nnn alone, KILL-Gg-COLOUR in group 900+g
python3 - "$simple" "$groups" >"$tmp/seed.json" <<'EOF'
import json, sys
simple, groups = int(sys.argv[1]), int(sys.argv[2])
p = [{"sku": "KILL-%03d" % i, "name": "Kill product %d" % i,
      "price": 10 + i, "weight": 1} for i in range(simple)]
for g in range(groups):
    for c in ("Red", "Green", "Blue"):
        p.append({"sku": "KILL-G%d-%s" % (g, c.upper()),
                  "name": "Kill group %d" % g, "price": 50 + g,
                  "weight": 0.5, "groupId": 900 + g,
                  "options": [{"name": "Colour", "value": c}]})
print(json.dumps({"products": p}))
EOF
sb_post brightpearl/seed "$(cat "$tmp/seed.json")"

awk -v s="$seed" -v k="$rounds" 'BEGIN { srand(s); for (i = 0; i < k; i++) printf "%.2f %d\n", 0.2 + rand() * 1.3, int(rand() * 40) }' >"$tmp/delays"
sb_post faults '{"platform":"*","rate":0.3,"seed":'"$seed"',"kinds":["429","503","500","drop","truncate"]}'
step="rounds"
: >"$tmp/prices"
start_worker # finds a free port for the listener; later rounds reuse it
stop_worker KILL
r=0
while read -r d which; do
	# the merchant changes a price in Brightpearl now and then
	sku=$(printf 'KILL-%03d' $((which % simple)))
	price="$((100 + r)).25"
	sb_post brightpearl/product '{"sku":"'"$sku"'","price":'"$price"'}'
	echo "$sku $price" >>"$tmp/prices"
	spawn_worker
	sleep "$d"
	stop_worker KILL
	r=$((r + 1))
done <"$tmp/delays"
sb_post faults '{"platform":"*","rate":0}'

# check - 0 when BigCommerce's catalog is what it must be
check() {
	curl -s "$control/bigcommerce/catalog" >"$tmp/cat.json"
	python3 - "$tmp/cat.json" "$tmp/seed.json" "$tmp/prices" >"$tmp/check" <<'EOF'
import json, sys
cat = json.load(open(sys.argv[1]))
seed = json.load(open(sys.argv[2]))["products"]
want = {p["sku"]: float(p["price"]) for p in seed}
for l in open(sys.argv[3]):
    sku, price = l.split()
    want[sku] = float(price)
units = len({p.get("groupId", p["sku"]) for p in seed})
seen, bad = {}, []
for p in cat:
    for v in p["variants"]:
        seen.setdefault(v["sku"], []).append(p["id"])
        if v["sku"] in want and abs(float(v["price"]) - want[v["sku"]]) > 1e-4:
            bad.append("%s price %s, want %s" % (v["sku"], v["price"], want[v["sku"]]))
for sku in want:
    if len(seen.get(sku, [])) != 1:
        bad.append("%s on %d products" % (sku, len(seen.get(sku, []))))
if len(cat) != units:
    bad.append("%d products, want %d" % (len(cat), units))
print("; ".join(bad[:6]) if bad else "%d products, %d SKUs, each once, prices Brightpearl's" % (len(cat), len(want)))
sys.exit(1 if bad else 0)
EOF
}

step="catch-up"
spawn_worker
tries=0
until check; do
	tries=$((tries + 1))
	# entries the faults failed wait out their backoff: bring them on
	[ $((tries % 10)) -ne 0 ] || ok retry --failed
	if [ "$tries" -gt 90 ]; then
		"$ps" logs --flow catalog --limit 200 >"$tmp/log" 2>&1 || :
		grep -v ' synced ' "$tmp/log" | head -n 20 >&2
		fail "never converged: $(cat "$tmp/check"); worker: $(tail -5 "$tmp/w.err")"
	fi
	sleep 0.5
done
sleep 1
stop_worker
check || fail "after settling: $(cat "$tmp/check")"
posts=$(curl -s "$control/requests" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bigcommerce"]["endpoints"].get("POST v3/catalog/products", 0))')
echo "$rounds SIGKILLs, 30% faults: $(cat "$tmp/check"); $posts product POSTs ($(($(date +%s) - t_start)) s)"
exit 0
