#!/bin/sh
# The initial product sync, Brightpearl -> ShipHero, through the worker
# against the sandbox: 40 products are added to Brightpearl's demo
# catalogue (whose eight demo SKUs ShipHero already holds, to be adopted),
# the operator starts the sync, the worker is killed with SIGKILL half-way
# through while ShipHero's credit bucket holds it back, and a restarted
# worker finishes: every SKU is in ShipHero exactly once and the progress
# reaches N/N.  Also: the ShipHero password is traded for tokens and kept
# nowhere; the shipping methods refresh on request and report a mapped
# method Brightpearl no longer has.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"

command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }
pw="sh-pass-Quokka-4412"
extra=40
start_sandbox --seed demo --quota off --sh-password "$pw"
sh_url=$(awk '$1 == "shiphero" { print $2 }' "$tmp/sandbox.out")
[ -n "$sh_url" ] || fail "the sandbox names no ShipHero URL"

step="connect: the password is traded for tokens, then erased"
connect_platforms
ok settings set shiphero.enabled true
ok settings set shiphero.base_url "$sh_url"
ok settings set shiphero.username sandbox@example.com
printf '%s\n' "$pw" >"$tmp/pw"
run_in "$tmp/pw" settings set shiphero.password -
[ "$rc" -eq 0 ] || fail "settings set shiphero.password: $(cat "$tmp/err")"
ok check-connection sh
ok settings export --include-secrets -o "$tmp/export"
grep -q "shiphero.refresh_token" "$tmp/export" || fail "no refresh token stored"
grep -q "\"shiphero.password\": \"" "$tmp/export" && fail "the password is still set"
grep -q "$pw" "$tmp/export" && fail "the password is stored"
grep -aq "$pw" "$db" && fail "the password is in the database"

step="the product catalogue"
rows=""
i=1
while [ "$i" -le "$extra" ]; do
	rows="$rows${rows:+,}{\"sku\":\"SYNC-$i\",\"name\":\"Sync item $i\",\"price\":\"$i.50\",\"barcode\":\"9900000000$i\",\"stock\":{\"2\":1}}"
	i=$((i + 1))
done
sb_post brightpearl/seed "{\"products\":[$rows]}"
bp_skus() {
	curl -s "$control/brightpearl/state" | jq -r '.products[] |
		select(.stock.stockTracked) | .identity.sku // empty' | sort -u
}
sh_skus() { curl -s "$control/shiphero/products" | jq -r '.[].sku' | sort; }
sh_count() { sh_skus | wc -l | tr -d ' '; }
before=$(sh_count)
[ "$before" -ge 1 ] || fail "ShipHero's demo products are missing"
# what ShipHero must hold at the end: its own and every Brightpearl SKU
{ sh_skus; bp_skus; } | sort -u >"$tmp/want.skus"
want=$(wc -l <"$tmp/want.skus" | tr -d ' ')
[ "$want" -ge $((before + extra)) ] || fail "want $want SKUs"

step="started by the operator, killed mid-way"
# a small credit bucket: each product costs a lookup and a create
sb_post shiphero/credits '{"max_available":60,"increment_rate":10,"credits_remaining":60}'
# asked before the worker's first heartbeat, the request is queued
run run shiphero-products
[ "$rc" -le 1 ] || fail "pearlsync run: exit $rc: $(cat "$tmp/err")"
spawn_worker --no-listen
half=$((before + extra / 2))
i=0
until [ "$(sh_count)" -ge "$half" ]; do
	i=$((i + 1))
	[ "$i" -le 600 ] || fail "no progress: $(sh_count) ShipHero products; $(tail -5 "$tmp/w.err")"
	sleep 0.1
done
stop_worker KILL
[ "$worker_rc" -ne 0 ] || fail "the worker was not killed"
echo "killed at $(sh_count) of $want ShipHero products"
mid=$(sh_count)
[ "$mid" -lt "$want" ] || fail "the sync finished before the kill ($mid)"
ok status --json
jq -e '.runs.product_sync_sh' "$tmp/out" >/dev/null || fail "no progress in status: $(cat "$tmp/out")"

step="a restarted worker finishes"
sb_post shiphero/credits '{"max_available":1001,"increment_rate":500,"credits_remaining":1001}'
progress() {
	"$ps" status --json 2>/dev/null | jq -r '.runs.product_sync_sh // ""' |
		sed 's/^\[[#.]*\] //'
}
spawn_worker --no-listen
total=$("$ps" status --json | jq -r '.runs.product_sync_sh' | sed 's/.* [0-9]*\/\([0-9]*\).*/\1/')
[ "$total" -ge "$extra" ] || fail "total $total, want at least $extra"
i=0
until [ "$(progress)" = "$total/$total" ]; do
	i=$((i + 1))
	[ "$i" -le 600 ] || fail "progress $(progress), want $total/$total; $(tail -5 "$tmp/w.err")"
	sleep 0.1
done
stop_worker TERM

step="every SKU once in ShipHero"
sh_skus >"$tmp/sh.skus"
dups=$(uniq -d "$tmp/sh.skus")
[ -z "$dups" ] || fail "created twice: $dups"
i=1
while [ "$i" -le "$extra" ]; do
	grep -qx "SYNC-$i" "$tmp/sh.skus" || fail "SYNC-$i is not in ShipHero"
	i=$((i + 1))
done
cmp -s "$tmp/sh.skus" "$tmp/want.skus" ||
	fail "ShipHero's SKUs differ: $(diff "$tmp/want.skus" "$tmp/sh.skus" | head -5)"
ok logs --status failed
grep -q "product_sync_sh" "$tmp/out" && fail "failed entries: $(cat "$tmp/out")"
ok status
grep -q "^product_sync_sh .* $total/$total" "$tmp/out" ||
	fail "status shows no finished product sync: $(cat "$tmp/out")"

step="shipping methods refresh on request, with a vanished mapped method"
ok mappings set shiphero_shipping_method 'bp>sh' 99999 ups:ground
ok sync-once shiphero-methods
ok status --json
methods=$(jq -r '.runs.shipping_methods_sh' "$tmp/out")
case "$methods" in
[1-9]*" methods, refreshed "*) ;;
*) fail "methods refresh: '$methods'" ;;
esac
grep -q "99999" "$tmp/all-output" || fail "no warning about the vanished method 99999"

step="the password never reached any output"
grep -q "$pw" "$tmp/all-output" "$tmp/w.err" "$tmp/w.out" && fail "the password was printed"
:
